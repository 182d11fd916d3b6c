/**
 * OGC API Features Part 4 routes (role editor): POST items, PUT/PATCH/DELETE items/{fid}.
 * Bodies are GeoJSON in CRS84 unless the Content-Crs header names another supported CRS; a
 * position outside that CRS's bounds is a 422 naming the feature and the position. The role is
 * checked `onRequest`, before the body is parsed, so a caller without it learns nothing more.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireRole } from '../auth/roles.js';
import { BadRequestError, PayloadTooLargeError } from '../errors.js';
import { baseUrl } from '../http/links.js';
import { getLayer } from '../layers/layer-registry.js';
import { CRS84, resolveCrs } from './crs.js';
import { geometryProblems, missingRequired, propertyProblems, readFeatureBody, refuse } from './item-bodies.js';
import type { FeatureInput } from '../layers/layer-writes.js';
import { parseIfMatch } from './item-etag.js';
import { createItems, currentFeature, deleteItem, replaceItem, toStorageCrs, updateItem, type WriteContext } from './item-writes.js';

// one schema per path: a path parameter the path does not have makes the OpenAPI document invalid
// (POST …/items declared featureId; found by an OGC review)
const collectionParams = { type: 'object', properties: { collectionId: { type: 'string', maxLength: 64 } }, required: ['collectionId'] } as const;
const params = {
  type: 'object',
  properties: { collectionId: { type: 'string', maxLength: 64 }, featureId: { type: 'string', maxLength: 200 } },
  required: ['collectionId', 'featureId'],
} as const;
const crsHeader = { type: 'object', properties: { 'content-crs': { type: 'string', description: 'CRS of the body geometry, e.g. <http://www.opengis.net/def/crs/EPSG/0/4490> (default CRS84)' } } } as const;

type Req = FastifyRequest<{ Params: { collectionId: string; featureId?: string } }>;

/** Content-Crs: "<uri>" (OGC form) or a bare URI / EPSG:n */
function contentCrs(request: FastifyRequest) {
  const raw = request.headers['content-crs'];
  if (raw === undefined) return resolveCrs(CRS84, 'Content-Crs');
  return resolveCrs(String(raw).trim().replace(/^<(.*)>$/, '$1'), 'Content-Crs');
}

export async function itemWriteRoutes(app: FastifyInstance): Promise<void> {
  const { db, config } = app;
  const limits = { maxFeatures: config.limits.maxFeatures, maxVertices: config.limits.maxVertices };
  // GeoJSON and JSON Merge Patch media types parse as JSON (encapsulated: these routes only).
  const json = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(['application/geo+json', 'application/merge-patch+json'], { parseAs: 'string' }, json);
  const editor = requireRole('editor');

  async function context(request: Req): Promise<WriteContext> {
    return { db: db.kysely, request, layer: await getLayer(db.kysely, request.params.collectionId) };
  }
  const itemUrl = (request: FastifyRequest, layerId: string, fid: string) =>
    `${baseUrl(request, config.publicUrl)}/ogc/collections/${encodeURIComponent(layerId)}/items/${encodeURIComponent(fid)}`;

  app.post<{ Params: { collectionId: string } }>(
    '/ogc/collections/:collectionId/items',
    { onRequest: editor, schema: { summary: 'Create features (a Feature or FeatureCollection); 201 + Location (editor)', tags: ['OGC API'], params: collectionParams, headers: crsHeader } },
    async (request, reply) => {
      const crs = contentCrs(request);
      const ctx = await context(request);
      const features = readFeatureBody(request.body, ctx.layer.attributes, limits, true, crs);
      const geometries = await toStorageCrs(db.kysely, features.map((f) => f.geometry), crs);
      const { ids, result } = await createItems(ctx, features.map((f, i) => ({ ...f, geometry: geometries[i] })));
      reply.status(201).header('location', itemUrl(request, ctx.layer.id, ids[0]));
      return { ids, layerVersion: result.version, links: ids.map((id) => ({ href: itemUrl(request, ctx.layer.id, id), rel: 'item', type: 'application/geo+json' })) };
    },
  );

  app.put<{ Params: { collectionId: string; featureId: string } }>(
    '/ogc/collections/:collectionId/items/:featureId',
    { onRequest: editor, schema: { summary: 'Replace a feature (editor)', tags: ['OGC API'], params, headers: crsHeader } },
    async (request) => {
      const crs = contentCrs(request);
      const ctx = await context(request);
      const { featureId } = request.params;
      const ifMatch = parseIfMatch(request.headers['if-match']);
      const current = await currentFeature(db.kysely, ctx.layer.id, featureId, ifMatch); // 404 (412 with If-Match) before reading the body
      const [feature] = readFeatureBody(request.body, ctx.layer.attributes, { ...limits, maxFeatures: 1 }, false, crs, extraProperties(current.properties, ctx.layer.attributes));
      if (feature.id !== undefined && feature.id !== null && String(feature.id) !== featureId) {
        throw new BadRequestError(`请求体 id 与路径不一致 (body id "${feature.id}" differs from the URL's "${featureId}")`, { parameter: 'body', field: 'id' });
      }
      const [geometry] = await toStorageCrs(db.kysely, [feature.geometry], crs);
      const result = await replaceItem(ctx, featureId, { ...feature, geometry }, ifMatch);
      return { id: featureId, layerVersion: result.version, changed: result.changed };
    },
  );

  app.patch<{ Params: { collectionId: string; featureId: string } }>(
    '/ogc/collections/:collectionId/items/:featureId',
    { onRequest: editor, schema: { summary: 'Update a feature: merge properties (null removes one), replace geometry if given (editor)', tags: ['OGC API'], params, headers: crsHeader } },
    async (request) => {
      const crs = contentCrs(request);
      const ctx = await context(request);
      const { featureId } = request.params;
      const body = request.body as Record<string, unknown> | null;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError('请求体应为 JSON 对象 (the body must be a JSON object)', { parameter: 'body' });
      const patch = body.properties;
      if (patch !== undefined && (typeof patch !== 'object' || patch === null || Array.isArray(patch))) {
        throw new BadRequestError('properties 应为对象 (properties must be an object)', { parameter: 'body', field: 'properties' });
      }
      // the patch checked before the write (404 first; extra properties the feature has may be patched),
      // then merged onto the feature as it is once the layer is locked for this write (updateItem), so
      // concurrent patches do not undo each other
      const ifMatch = parseIfMatch(request.headers['if-match']);
      const before = await currentFeature(db.kysely, ctx.layer.id, featureId, ifMatch);
      const problems = propertyProblems((patch as Record<string, unknown>) ?? {}, ctx.layer.attributes, 0, true, extraProperties(before.properties, ctx.layer.attributes));
      let geometry: FeatureInput['geometry'] | undefined;
      if (body.geometry !== undefined) {
        const g = geometryProblems(body.geometry, 0, crs);
        problems.push(...g.problems);
        if (g.vertices > limits.maxVertices) refuseTooLarge(limits.maxVertices, g.vertices);
        if (!g.problems.length) [geometry] = await toStorageCrs(db.kysely, [body.geometry as FeatureInput['geometry']], crs);
      }
      if (problems.length) refuse(problems);
      const result = await updateItem(ctx, featureId, (current) => {
        // JSON Merge Patch (RFC 7386): null removes an attribute
        const properties: Record<string, unknown> = { ...current.properties };
        for (const [k, v] of Object.entries((patch as Record<string, unknown>) ?? {})) {
          if (v === null) delete properties[k];
          else properties[k] = v;
        }
        const missing = missingRequired(properties, ctx.layer.attributes, 0);
        if (missing.length) refuse(missing);
        return { properties, geometry: geometry ?? current.geometry };
      }, ifMatch);
      return { id: featureId, layerVersion: result.version, changed: result.changed };
    },
  );

  app.delete<{ Params: { collectionId: string; featureId: string } }>(
    '/ogc/collections/:collectionId/items/:featureId',
    { onRequest: editor, schema: { summary: 'Delete a feature (editor); 204', tags: ['OGC API'], params } },
    async (request, reply) => {
      const ctx = await context(request);
      await deleteItem(ctx, request.params.featureId, parseIfMatch(request.headers['if-match']));
      return reply.status(204).send();
    },
  );
}

/** the properties a feature has beyond the layer's attributes (kept from an upload): a client may send them back */
function extraProperties(properties: Record<string, unknown>, attributes: { name: string }[]): Set<string> {
  const known = new Set(attributes.map((a) => a.name));
  return new Set(Object.keys(properties).filter((k) => !known.has(k)));
}

function refuseTooLarge(max: number, actual: number): never {
  throw new PayloadTooLargeError(`顶点数超过上限 ${max} (more than maxVertices = ${max} vertices)`, { limit: 'maxVertices', max, actual });
}
