/**
 * OGC API Tiles over the existing tile service: the app's one TileService (created in app.ts, so
 * its engines, in-memory indexes and version-keyed cache are shared) answers through the same
 * serveTile as /tiles/{layer}/{z}/{x}/{y}.pbf — the bytes, ETag and caching are the same by
 * construction. (It was forwarded with app.inject, which made every client 127.0.0.1 to the rate
 * limit and counted a token twice: found by a review.)
 */
import type { FastifyInstance } from 'fastify';
import { BadRequestError, NotFoundError } from '../errors.js';
import { baseUrl } from '../http/links.js';
import { getLayer } from '../layers/layer-registry.js';
import { serveTile } from '../tiles/routes.js';
import { parseTile } from '../tiles/tile-math.js';
import { bulkLayers, TILE_MAXZOOM } from '../tiles/tilejson.js';
import type { TileService } from '../tiles/tile-service.js';
import { JSON_ONLY_QUERY } from './documents.js';
import { tileMatrixSet, tileMatrixSetList, tilesetList, tilesetMetadata, WEB_MERCATOR_QUAD } from './tile-matrix-sets.js';

const idParams = { type: 'object', properties: { collectionId: { type: 'string', maxLength: 64 } }, required: ['collectionId'] } as const;

function checkTms(id: string) {
  if (id !== WEB_MERCATOR_QUAD) throw new NotFoundError(`没有此瓦片矩阵集 (no tile matrix set "${id}"; available: ${WEB_MERCATOR_QUAD})`, { tileMatrixSet: id });
}

export async function ogcTileRoutes(app: FastifyInstance, opts: { tiles: TileService }): Promise<void> {
  const { db, config } = app;
  const base = (request: Parameters<typeof baseUrl>[0]) => baseUrl(request, config.publicUrl);

  app.get('/ogc/tileMatrixSets', { schema: { summary: 'Tile matrix sets (WebMercatorQuad)', tags: ['OGC API'], querystring: JSON_ONLY_QUERY } }, async (request) => tileMatrixSetList(base(request)));

  app.get<{ Params: { tileMatrixSetId: string } }>(
    '/ogc/tileMatrixSets/:tileMatrixSetId',
    { schema: { summary: 'A tile matrix set definition (OGC 2D TMS 2.0 JSON)', tags: ['OGC API'], params: { type: 'object', properties: { tileMatrixSetId: { type: 'string', maxLength: 64 } } }, querystring: JSON_ONLY_QUERY } },
    async (request) => {
      checkTms(request.params.tileMatrixSetId);
      return tileMatrixSet(base(request));
    },
  );

  app.get<{ Params: { collectionId: string } }>(
    '/ogc/collections/:collectionId/tiles',
    { schema: { summary: 'Vector tilesets of a collection', tags: ['OGC API'], params: idParams, querystring: JSON_ONLY_QUERY } },
    async (request) => tilesetList(base(request), await getLayer(db.kysely, request.params.collectionId)),
  );

  app.get<{ Params: { collectionId: string; tileMatrixSetId: string } }>(
    '/ogc/collections/:collectionId/tiles/:tileMatrixSetId',
    {
      schema: {
        summary: 'Vector tileset metadata of a collection',
        tags: ['OGC API'],
        params: { type: 'object', properties: { collectionId: { type: 'string', maxLength: 64 }, tileMatrixSetId: { type: 'string', maxLength: 64 } } },
        querystring: JSON_ONLY_QUERY,
      },
    },
    async (request) => {
      checkTms(request.params.tileMatrixSetId);
      const layer = await getLayer(db.kysely, request.params.collectionId);
      return tilesetMetadata(base(request), layer, (await bulkLayers(db.kysely, [layer.id])).has(layer.id));
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
      // beyond the tileset's limits (tileMatrix 0–TILE_MAXZOOM): a 404 (Tiles /req/core/tc-error);
      // clients overzoom the last level, as TileJSON's maxzoom tells /tiles clients to
      // (a tile outside the WebMercatorQuad grid itself stays a 400 naming the coordinate, parseTile)
      if (parseTile(z, x, y).z > TILE_MAXZOOM) {
        throw new NotFoundError(`瓦片矩阵 ${z} 超出瓦片集范围 0–${TILE_MAXZOOM}，请放大显示第 ${TILE_MAXZOOM} 级瓦片 (tileMatrix ${z} is outside this tileset's limits 0–${TILE_MAXZOOM}; overzoom ${TILE_MAXZOOM})`, { tileMatrix: z });
      }
      return serveTile(opts.tiles, request, reply, [collectionId], { z, x, y }, request.query);
    },
  );
}
