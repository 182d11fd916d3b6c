/**
 * The viewer build: web/ → web/dist (served by the server at `/`, server/web/viewer-routes.ts).
 * Everything is bundled locally (MapLibre, its CSS and worker, terra-draw): the page requests
 * nothing but its own server.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  build: {
    outDir: 'dist', // relative to root → web/dist
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1500, // MapLibre alone is ~800 kB minified
    reportCompressedSize: true,
  },
  server: {
    // `npx vite --config web/vite.config.ts` during development: API calls go to a running server.
    proxy: Object.fromEntries(['/api', '/styles', '/tiles', '/fonts', '/ogc', '/healthz'].map((p) => [p, `http://127.0.0.1:${process.env.API_PORT ?? 3000}`])),
  },
});
