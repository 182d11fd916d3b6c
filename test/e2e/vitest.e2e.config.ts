/**
 * Browser tests of the viewer (npm run test:e2e; not part of npm test): the real server as a
 * child process (global-setup.ts) and Debian's Chromium through playwright-core.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    testTimeout: 90_000,
    hookTimeout: 240_000, // a first start seeds the Dehui dataset (30–90 s on PGlite)
    pool: 'forks',
    // one server, several browsers: files in sequence keep timings (first paint) meaningful
    fileParallelism: false,
    reporters: ['default'],
  },
});
