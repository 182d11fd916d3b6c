/**
 * OGC API Features read routes (Core, CRS, Filter) over the layer store; Part 4 writes and
 * OGC API Tiles are sub-plugins (item-write-routes.ts, tile-routes.ts).
 */
import type { FastifyInstance } from 'fastify';
import { BadRequestError, NotFoundError } from '../errors.js';
import { baseUrl } from '../http/links.js';
import { readItem, readItems } from '../layers/feature-reads.js';
import { getLayer, listLayers } from '../layers/layer-registry.js';
import { CRS84, resolveCrs } from './crs.js';
import { CONFORMANCE, collectionDocument, JSON_ONLY_QUERY, landingPage, pageLinks } from './documents.js';
import { intParam, parseItemsParams } from './items-params.js';
import { collectionExtras } from './collection-extents.js';
import { FILTER_LANGS } from './cql2/index.js';
import { apiDocumentRoute } from './api-document.js';
import { itemWriteRoutes } from './item-write-routes.js';
import { queryablesDocument } from './queryables.js';
import { itemEtag } from './item-etag.js';
import { ogcTileRoutes } from './tile-routes.js';
import type { TileService } from '../tiles/tile-service.js';

const idParams = {
  type: 'object',
  properties: { collectionId: { type: 'string', maxLength: 64 } },
  required: ['collectionId'],
} as const;

/** the query parameters of one feature (GET …/items/{featureId}) */
const ITEM_PARAMETERS = new Set(['crs', 'version', 'f']);

export async function ogcRoutes(app: FastifyInstance, opts: { tiles: TileService }): Promise<void> {
  const { db, config } = app;

  app.get('/ogc', { schema: { summary: 'OGC API landing page', tags: ['OGC API'], querystring: JSON_ONLY_QUERY } }, async (request) =>
    landingPage(baseUrl(request, config.publicUrl)),
  );

  app.get('/ogc/conformance', { schema: { summary: 'Conformance classes', tags: ['OGC API'], querystring: JSON_ONLY_QUERY } }, async () => ({ conformsTo: CONFORMANCE }));

  app.get('/ogc/collections', { schema: { summary: 'Collections (= layers)', tags: ['OGC API'], querystring: JSON_ONLY_QUERY } }, async (request) => {
    const base = baseUrl(request, config.publicUrl);
    const layers = await listLayers(db.kysely);
    const extras = await collectionExtras(db.kysely, layers.map((l) => l.id));
    return {
      links: [{ href: `${base}/ogc/collections`, rel: 'self', type: 'application/json' }],
      collections: layers.map((l) => collectionDocument(base, l, extras.get(l.id))),
    };
  });

  app.get<{ Params: { collectionId: string } }>(
    '/ogc/collections/:collectionId',
    { schema: { summary: 'One collection', tags: ['OGC API'], params: idParams, querystring: JSON_ONLY_QUERY } },
    async (request) => {
      const layer = await getLayer(db.kysely, request.params.collectionId);
      const extras = await collectionExtras(db.kysely, [layer.id]);
      return collectionDocument(baseUrl(request, config.publicUrl), layer, extras.get(layer.id));
    },
  );

  app.get<{ Params: { collectionId: string } }>(
    '/ogc/collections/:collectionId/queryables',
    { schema: { summary: 'Queryables of a collection (JSON Schema): its attributes and geometry', tags: ['OGC API'], params: idParams, querystring: JSON_ONLY_QUERY } },
    async (request, reply) => {
      const layer = await getLayer(db.kysely, request.params.collectionId);
      // GDAL ≤ 3.6 asks with Accept: application/geo+json, application/json and refuses schema+json
      const accept = request.headers.accept ?? '';
      reply.type(/application\/schema\+json|\*\/\*/.test(accept) || !/application\/json/.test(accept) ? 'application/schema+json' : 'application/json');
      return queryablesDocument(baseUrl(request, config.publicUrl), layer);
    },
  );

  app.get<{ Params: { collectionId: string }; Querystring: Record<string, unknown> }>(
    '/ogc/collections/:collectionId/items',
    {
      schema: {
        summary: 'Features of a collection (GeoJSON), paged; bbox, bbox-crs, crs, datetime, filter (CQL2), version, property filters',
        tags: ['OGC API'],
        params: idParams,
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'string', description: `1–${config.limits.itemsLimitMax}, default 100` },
            offset: { type: 'string', description: '≥ 0, default 0' },
            bbox: { type: 'string', description: 'minx,miny,maxx,maxy in bbox-crs (default CRS84)' },
            'bbox-crs': { type: 'string' },
            crs: { type: 'string', description: 'output CRS URI (default CRS84)' },
            version: { type: 'string', description: 'read the layer as it was at this version' },
            datetime: { type: 'string', description: 'RFC 3339 date/time or interval a/b (".." open); an instant is its Beijing date; on a layer without date attributes nothing matches' },
            filter: { type: 'string', description: 'CQL2 filter on the queryables (/queryables)' },
            'filter-lang': { type: 'string', enum: [...FILTER_LANGS, 'cql-text'], description: 'default cql2-text' },
            'filter-crs': { type: 'string', description: 'CRS of geometry literals in filter (default CRS84)' },
          },
          additionalProperties: true,
        },
      },
    },
    async (request, reply) => {
      const layer = await getLayer(db.kysely, request.params.collectionId);
      const { query, crs, limit, offset } = parseItemsParams(request.query, layer, config.limits.itemsLimitMax);
      const page = await readItems(db.kysely, query);
      const links = pageLinks({
        base: baseUrl(request, config.publicUrl),
        layerId: layer.id,
        query: request.query,
        limit,
        offset,
        numberMatched: page.numberMatched,
        numberReturned: page.features.length,
        layerVersion: query.version ?? page.layerVersion,
      });
      const head = JSON.stringify({
        type: 'FeatureCollection',
        numberMatched: page.numberMatched,
        numberReturned: page.features.length,
        timeStamp: new Date().toISOString(),
        layerVersion: query.version ?? page.layerVersion,
        links,
      });
      reply.header('content-crs', `<${crs.uri}>`).type('application/geo+json');
      return `${head.slice(0, -1)},"features":[${page.features.join(',')}]}`;
    },
  );

  app.get<{ Params: { collectionId: string; featureId: string }; Querystring: Record<string, unknown> }>(
    '/ogc/collections/:collectionId/items/:featureId',
    {
      schema: {
        summary: 'One feature (GeoJSON)',
        tags: ['OGC API'],
        params: {
          type: 'object',
          properties: { collectionId: { type: 'string', maxLength: 64 }, featureId: { type: 'string', maxLength: 200 } },
          required: ['collectionId', 'featureId'],
        },
      },
    },
    async (request, reply) => {
      const layer = await getLayer(db.kysely, request.params.collectionId);
      const one = (name: string) => {
        const v = request.query[name];
        if (Array.isArray(v)) throw new BadRequestError(`参数 ${name} 重复 (${name} given more than once)`, { parameter: name });
        return v === undefined ? undefined : String(v);
      };
      // OGC API Features /req/core/query-param-unknown: a parameter this resource does not know is a 400
      for (const name of Object.keys(request.query)) {
        if (!ITEM_PARAMETERS.has(name)) throw new BadRequestError(`未知参数 ${name} (unknown parameter "${name}"; this resource takes ${[...ITEM_PARAMETERS].join(', ')})`, { parameter: name });
      }
      const f = one('f');
      if (f !== undefined && !['json', 'geojson'].includes(f)) throw new BadRequestError(`参数 f 不支持 "${f}" (f must be json or geojson)`, { parameter: 'f' });
      const crs = resolveCrs(one('crs') ?? CRS84, 'crs');
      const version = one('version') === undefined ? undefined : intParam(one('version'), 'version', 1, layer.version, 0);
      const item = await readItem(db.kysely, {
        layerId: layer.id,
        fid: request.params.featureId,
        version,
        outSrid: crs.srid,
        flipAxes: crs.northFirst,
        decimals: crs.decimals,
      });
      if (!item) throw new NotFoundError(`要素不存在 (no feature "${request.params.featureId}" in "${layer.id}")`, { layer: layer.id, feature: request.params.featureId });
      const base = baseUrl(request, config.publicUrl);
      const self = `${base}/ogc/collections/${encodeURIComponent(layer.id)}/items/${encodeURIComponent(request.params.featureId)}`;
      const links = JSON.stringify([
        { href: self, rel: 'self', type: 'application/geo+json' },
        { href: `${base}/ogc/collections/${encodeURIComponent(layer.id)}`, rel: 'collection', type: 'application/json' },
      ]);
      // for If-Match on PUT, PATCH and DELETE (optimistic locking, item-etag.ts)
      reply.header('content-crs', `<${crs.uri}>`).header('etag', itemEtag(item.writtenIn)).type('application/geo+json');
      return `${item.feature.slice(0, -1)},"links":${links}}`;
    },
  );

  await app.register(apiDocumentRoute);
  await app.register(itemWriteRoutes);
  await app.register(ogcTileRoutes, { tiles: opts.tiles });
}
