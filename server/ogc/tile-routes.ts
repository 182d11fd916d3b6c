/**
 * OGC API Tiles over the existing tile service. A tile request is forwarded in-process
 * (app.inject) to /tiles/{layer}/{z}/{x}/{y}.pbf: the app owns one TileService (created in
 * app.ts), and forwarding shares its engines, in-memory indexes and version-keyed cache instead
 * of building a second copy of each — so the bytes, ETag and caching are the same by construction.
 */
import type { FastifyInstance } from 'fastify';
import { BadRequestError, NotFoundError } from '../errors.js';
import { baseUrl } from '../http/links.js';
import { getLayer } from '../layers/layer-registry.js';
import { tileMatrixSet, tileMatrixSetList, tilesetList, tilesetMetadata, WEB_MERCATOR_QUAD } from './tile-matrix-sets.js';

const idParams = { type: 'object', properties: { collectionId: { type: 'string', maxLength: 64 } }, required: ['collectionId'] } as const;
const FORWARDED_HEADERS = ['content-type', 'etag', 'cache-control', 'x-tile-engine', 'x-tile-cache', 'x-tile-generalised', 'x-tile-merged', 'content-encoding', 'vary'];

function checkTms(id: string) {
  if (id !== WEB_MERCATOR_QUAD) throw new NotFoundError(`没有此瓦片矩阵集 (no tile matrix set "${id}"; available: ${WEB_MERCATOR_QUAD})`, { tileMatrixSet: id });
}

export async function ogcTileRoutes(app: FastifyInstance): Promise<void> {
  const { db, config } = app;
  const base = (request: Parameters<typeof baseUrl>[0]) => baseUrl(request, config.publicUrl);

  app.get('/ogc/tileMatrixSets', { schema: { summary: 'Tile matrix sets (WebMercatorQuad)', tags: ['OGC API'] } }, async (request) => tileMatrixSetList(base(request)));

  app.get<{ Params: { tileMatrixSetId: string } }>(
    '/ogc/tileMatrixSets/:tileMatrixSetId',
    { schema: { summary: 'A tile matrix set definition (OGC 2D TMS 2.0 JSON)', tags: ['OGC API'], params: { type: 'object', properties: { tileMatrixSetId: { type: 'string', maxLength: 64 } } } } },
    async (request) => {
      checkTms(request.params.tileMatrixSetId);
      return tileMatrixSet(base(request));
    },
  );

  app.get<{ Params: { collectionId: string } }>(
    '/ogc/collections/:collectionId/tiles',
    { schema: { summary: 'Vector tilesets of a collection', tags: ['OGC API'], params: idParams } },
    async (request) => tilesetList(base(request), await getLayer(db.kysely, request.params.collectionId)),
  );

  app.get<{ Params: { collectionId: string; tileMatrixSetId: string } }>(
    '/ogc/collections/:collectionId/tiles/:tileMatrixSetId',
    {
      schema: {
        summary: 'Vector tileset metadata of a collection',
        tags: ['OGC API'],
        params: { type: 'object', properties: { collectionId: { type: 'string', maxLength: 64 }, tileMatrixSetId: { type: 'string', maxLength: 64 } } },
      },
    },
    async (request) => {
      checkTms(request.params.tileMatrixSetId);
      return tilesetMetadata(base(request), await getLayer(db.kysely, request.params.collectionId));
    },
  );

  app.get<{ Params: { collectionId: string; tileMatrixSetId: string; z: string; y: string; x: string }; Querystring: Record<string, string> }>(
    '/ogc/collections/:collectionId/tiles/:tileMatrixSetId/:z/:y/:x',
    {
      schema: {
        summary: 'A vector tile (MVT): tileMatrix/tileRow/tileCol = z/y/x; same bytes as /tiles/{layer}/{z}/{x}/{y}.pbf',
        tags: ['OGC API'],
        params: {
          type: 'object',
          properties: {
            collectionId: { type: 'string', maxLength: 64 },
            tileMatrixSetId: { type: 'string', maxLength: 64 },
            z: { type: 'string', maxLength: 8, description: 'tileMatrix' },
            y: { type: 'string', maxLength: 8, description: 'tileRow' },
            x: { type: 'string', maxLength: 8, description: 'tileCol' },
          },
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            version: { type: 'string', maxLength: 20, description: 'read the layer as it was at this version' },
            v: { type: 'string', maxLength: 20, description: 'layer version (immutable, cacheable URL)' },
            f: { type: 'string', enum: ['mvt'] },
          },
        },
      },
    },
    async (request, reply) => {
      const { collectionId, tileMatrixSetId, z, y, x } = request.params;
      checkTms(tileMatrixSetId);
      if (!/^[a-z][a-z0-9-]{1,62}$/.test(collectionId)) throw new BadRequestError(`图层编号格式错误 (malformed collection id "${collectionId}")`, { parameter: 'collectionId' });
      const query = new URLSearchParams();
      if (request.query.version !== undefined) query.set('version', request.query.version);
      if (request.query.v !== undefined) query.set('v', request.query.v);
      const headers: Record<string, string> = {};
      for (const h of ['if-none-match', 'authorization']) if (request.headers[h]) headers[h] = String(request.headers[h]);
      const res = await app.inject({ method: 'GET', url: `/tiles/${collectionId}/${encodeURIComponent(z)}/${encodeURIComponent(x)}/${encodeURIComponent(y)}.pbf${query.size ? `?${query}` : ''}`, headers });
      for (const h of FORWARDED_HEADERS) if (res.headers[h] !== undefined) reply.header(h, res.headers[h]);
      reply.status(res.statusCode);
      return res.statusCode === 204 || res.statusCode === 304 ? reply.send() : reply.send(res.rawPayload);
    },
  );
}
