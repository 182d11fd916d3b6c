/**
 * /ogc/openapi.json: the OpenAPI 3 definition of the OGC API *rooted at its landing page*
 * (servers = {base}/ogc, paths /collections/…), which is what OGC clients expect: GDAL looks
 * up /collections/{collectionId}/items in it to discover the limit maximum, the filter-lang
 * values and the queryable parameters. It is derived from the same route schemas as /ogc/api
 * (@fastify/swagger), which keeps describing the whole service.
 */
import type { FastifyInstance } from 'fastify';
import { baseUrl } from '../http/links.js';

export const OPENAPI_TYPE = 'application/vnd.oai.openapi+json;version=3.0';

type Doc = { paths?: Record<string, Record<string, { parameters?: Array<{ name: string; in: string; schema?: Record<string, unknown> }> }>>; [k: string]: unknown };

export function ogcOpenApi(doc: Doc, base: string, limitMax: number): Doc {
  const paths: NonNullable<Doc['paths']> = {};
  for (const [p, ops] of Object.entries(doc.paths ?? {})) {
    if (!p.startsWith('/ogc')) continue;
    const rooted = p === '/ogc' ? '/' : p.slice(4);
    // limit is parsed by hand (to name it in errors), so its route schema says string; publish it as the integer it is.
    const copy = structuredClone(ops);
    for (const op of Object.values(copy)) {
      const limit = op.parameters?.find((q) => q.name === 'limit' && q.in === 'query');
      if (limit) limit.schema = { type: 'integer', minimum: 1, maximum: limitMax, default: Math.min(100, limitMax) };
    }
    paths[rooted] = copy;
  }
  return { ...doc, servers: [{ url: `${base}/ogc`, description: 'OGC API landing page' }], paths };
}

export async function apiDocumentRoute(app: FastifyInstance): Promise<void> {
  app.get(
    '/ogc/openapi.json',
    {
      schema: { hide: true },
      // Fastify would rewrite the media type as version="3.0"; GDAL compares it token by token.
      onSend: async (_request, reply, payload) => {
        reply.header('content-type', OPENAPI_TYPE);
        return payload;
      },
    },
    async (request) => ogcOpenApi(app.swagger() as unknown as Doc, baseUrl(request, app.config.publicUrl), app.config.limits.itemsLimitMax),
  );
}
