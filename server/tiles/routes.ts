/**
 * /tiles/{layers}/{z}/{x}/{y}.pbf, /tiles/{layers}.json, /styles/default.json.
 * Versioned tile URLs (?v=) are immutable; unversioned ones get a short max-age and an ETag.
 * An empty tile is 204 No Content.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, NotFoundError } from '../errors.js';
import { baseUrl } from '../http/links.js';
import { getLayer, listLayerDetails } from '../layers/layer-registry.js';
import { buildStyle } from './style.js';
import { parseTile } from './tile-math.js';
import { TileService } from './tile-service.js';
import { bulkLayers, tileJson } from './tilejson.js';

const MVT = 'application/vnd.mapbox-vector-tile';

/**
 * The entity tags of an If-None-Match list (a tag may itself contain commas: "a@1,b@2"), weak
 * prefixes dropped: If-None-Match compares weakly (RFC 9110 §13.1.2), so W/"a@1" matches "a@1".
 */
function etagList(header: string): string[] {
  return (header.match(/(W\/)?"[^"]*"|\*/g) ?? []).map((t) => t.replace(/^W\//, ''));
}

function notModified(request: FastifyRequest, reply: FastifyReply, etag: string): boolean {
  reply.header('etag', etag);
  const inm = request.headers['if-none-match'];
  const opaque = etag.replace(/^W\//, '');
  if (inm && etagList(inm).some((t) => t === opaque || t === '*')) {
    reply.status(304).send();
    return true;
  }
  return false;
}

export async function tileRoutes(app: FastifyInstance, opts: { tiles: TileService }): Promise<void> {
  const { db, config } = app;
  const { tiles } = opts;

  app.get<{ Params: { layers: string; z: string; x: string; y: string }; Querystring: { v?: string; version?: string } }>(
    '/tiles/:layers/:z/:x/:y',
    {
      // the route takes "{y}.pbf" as :y (find-my-way has no suffix after a parameter); the OpenAPI
      // document names the URL a client must call
      config: { swaggerTransform: ({ schema, url }) => ({ schema, url: `${url}.pbf` }) },
      schema: {
        summary: 'Mapbox Vector Tile (MVT 2.1, extent 4096); MVT layer name = layer id; comma-separated layers give one tile',
        tags: ['tiles'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            v: { type: 'string', maxLength: 200, description: 'layer versions, "." separated (from TileJSON): immutable' },
            version: { type: 'string', maxLength: 200, description: 'read the layer as it was at this version' },
          },
        },
      },
    },
    async (request, reply) => {
      const { layers, z, x } = request.params;
      if (!request.params.y.endsWith('.pbf')) throw new NotFoundError('瓦片地址应以 .pbf 结尾 (tile URLs end in .pbf)');
      return serveTile(tiles, request, reply, TileService.parseLayerIds(layers), { z, x, y: request.params.y.slice(0, -4) }, request.query);
    },
  );

  app.get<{ Params: { layers: string } }>(
    '/tiles/:layers',
    {
      config: { swaggerTransform: ({ schema, url }) => ({ schema, url: `${url}.json` }) },
      schema: { summary: 'TileJSON 3.0.0 (GET /tiles/{layers}.json); tile URLs carry the layer versions', tags: ['tiles'] },
    },
    async (request, reply) => {
      const raw = request.params.layers;
      if (!raw.endsWith('.json')) throw new NotFoundError(`没有此路径 (no route GET /tiles/${raw})`);
      const ids = TileService.parseLayerIds(raw.slice(0, -5));
      const layers = await Promise.all(ids.map((id) => getLayer(db.kysely, id)));
      const doc = tileJson(baseUrl(request, config.publicUrl), layers, await bulkLayers(db.kysely, ids));
      reply.header('cache-control', 'public, max-age=10, must-revalidate');
      if (notModified(request, reply, `W/"${layers.map((l) => `${l.id}@${l.version}`).join(',')}"`)) return reply;
      return doc;
    },
  );

  app.get('/styles/default.json', { schema: { summary: 'MapLibre style for every layer (Chinese labels, no external URLs)', tags: ['tiles'] } }, async (request, reply) => {
    const details = await listLayerDetails(db.kysely);
    reply.header('cache-control', 'public, max-age=10, must-revalidate');
    if (notModified(request, reply, `W/"style-${details.map((l) => `${l.id}@${l.version}`).join(',')}"`)) return reply;
    return buildStyle(baseUrl(request, config.publicUrl), details);
  });
}

/** Accept-Encoding names gzip, with no q=0 */
function acceptsGzip(request: FastifyRequest): boolean {
  const ae = request.headers['accept-encoding'];
  if (typeof ae !== 'string') return false;
  return ae.split(',').some((part) => {
    const [coding, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return coding === 'gzip' && (!q || Number(q.slice(2)) > 0);
  });
}

/**
 * One tile of `ids` at z/x/y (as given in the URL), current or at ?v= / ?version=, with its headers:
 * /tiles/… and OGC API Tiles (server/ogc/tile-routes.ts) both answer through here, so the bytes,
 * ETag and caching are the same by construction.
 */
export async function serveTile(
  tiles: TileService,
  request: FastifyRequest,
  reply: FastifyReply,
  ids: string[],
  at: { z: string; x: string; y: string },
  query: { v?: string; version?: string },
) {
  const tile = parseTile(at.z, at.x, at.y);
  if (query.v && query.version) throw new BadRequestError('v 与 version 只能给一个 (give v or version, not both)', { parameter: 'version' });
  return sendTile(request, reply, await tiles.tile(ids, tile, query.v ?? query.version));
}

function sendTile(request: FastifyRequest, reply: FastifyReply, t: Awaited<ReturnType<TileService['tile']>>) {
  reply.header('x-tile-engine', t.engine).header('x-tile-cache', t.cached ? 'hit' : 'miss');
  if (t.generalised) reply.header('x-tile-generalised', t.generalised);
  if (t.merged) reply.header('x-tile-merged', t.merged);
  reply.header('cache-control', t.immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=30, must-revalidate');
  // appended: CORS has set `Vary: Origin`, and a cache that lost it would hand one origin's
  // response (without Access-Control-Allow-Origin) to another (found by a review)
  const vary = reply.getHeader('vary');
  reply.header('vary', vary ? `${String(vary)}, accept-encoding` : 'accept-encoding');
  // Either representation's ETag revalidates: both are the same tile.
  const gzip = t.gzip && acceptsGzip(request) ? t.gzip : null;
  const inm = request.headers['if-none-match'];
  const etag = gzip ? `"${t.stamp}+gzip"` : `"${t.stamp}"`;
  reply.header('etag', etag);
  if (inm && etagList(inm).some((v) => v === `"${t.stamp}"` || v === `"${t.stamp}+gzip"` || v === '*')) return reply.status(304).send();
  if (t.body.length === 0) return reply.status(204).send();
  if (gzip) reply.header('content-encoding', 'gzip');
  return reply.type(MVT).send(gzip ?? t.body);
}
