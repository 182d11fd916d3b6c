/**
 * The MapLibre viewer at `/`, built from web/ into web/dist (npm run build). Without a build,
 * `/` says how to make one instead of failing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

export async function viewerRoutes(app: FastifyInstance): Promise<void> {
  if (fs.existsSync(path.join(WEB_DIST, 'index.html'))) {
    await app.register(fastifyStatic, { root: WEB_DIST, prefix: '/', index: ['index.html'], cacheControl: true, maxAge: '1h' });
    return;
  }
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send('<!doctype html><meta charset="utf-8"><title>德惠市矿产资源规划</title><p>地图前端尚未构建：请运行 <code>npm run build</code>。 (The viewer is not built: run npm run build.)</p><p><a href="/ogc">OGC API</a> · <a href="/api/layers">/api/layers</a></p>'),
  );
}
