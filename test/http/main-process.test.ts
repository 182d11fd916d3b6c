/**
 * The real entry point as a child process: it starts on the configured port, says where it
 * listens, serves, and on SIGTERM drains and exits 0. (Database: a copy of the test template.)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildServer } from '../helpers/child-server.js';
import { ROOT, pgliteTemplateDir, templateFingerprint } from '../helpers/templates.js';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

describe(`server process (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb | null = null;
  let env: Record<string, string>;
  beforeAll(async () => {
    if (usingPostgres()) {
      db = await openTestDb('empty');
      env = { DATABASE_URL: db.location };
      await db.close(); // the child owns the database now; dispose() drops it afterwards
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dehui-main-'));
      fs.cpSync(pgliteTemplateDir('empty', templateFingerprint()), dir, { recursive: true });
      env = { DATA_DIR: dir };
    }
  });
  afterAll(async () => {
    if (db) await db.dispose().catch(() => {});
    if (env.DATA_DIR) fs.rmSync(env.DATA_DIR, { recursive: true, force: true });
  });

  it('listens where configured, serves, and exits 0 on SIGTERM', async () => {
    const server = await startChildServer({ env: { ...env, SEED: 'none', ADMIN_TOKEN: 'process-test-admin-token', LOG_LEVEL: 'warn' }, readyTimeoutMs: 60_000 });
    const { port, child, exited } = server;
    expect(server.output()).toContain(`listening on http://127.0.0.1:${port}`);
    const health = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(health.status).toBe(200);
    expect(server.output()).not.toContain('process-test-admin-token');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses a malformed variable, naming it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(err).toContain('PORT: must be an integer');
  });
});
