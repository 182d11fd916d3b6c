/** /api/layers: the layer list, one layer with its attribute schema, its version history. */
import type { FastifyInstance } from 'fastify';
import { baseUrl } from '../http/links.js';
import { getLayer, listLayers } from './layer-registry.js';
import { versionPage, VERSIONS_LIMIT_DEFAULT, VERSIONS_LIMIT_MAX } from './versions.js';

const layerParams = {
  type: 'object',
  properties: { id: { type: 'string', maxLength: 64 } },
  required: ['id'],
} as const;

export async function layerRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app;
  app.get('/api/layers', { schema: { summary: 'All layers: id, title, kind, geometryType, featureCount, version, bbox', tags: ['layers'] } }, async () =>
    listLayers(db.kysely),
  );
  app.get<{ Params: { id: string } }>(
    '/api/layers/:id',
    { schema: { summary: 'One layer with its attribute schema (Chinese labels) and style', tags: ['layers'], params: layerParams } },
    async (request) => getLayer(db.kysely, request.params.id),
  );
  app.get<{ Params: { id: string }; Querystring: { limit?: number; before?: number } }>(
    '/api/layers/:id/versions',
    {
      schema: {
        summary: `Version history, newest first: version, time, author, note, source file, counts. At most \`limit\` (default ${VERSIONS_LIMIT_DEFAULT}, max ${VERSIONS_LIMIT_MAX}); an older page is linked by \`Link: <…>; rel="next"\` (\`before\`)`,
        tags: ['layers'],
        params: layerParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: VERSIONS_LIMIT_MAX },
            before: { type: 'integer', minimum: 1 },
          },
        },
      },
      // the app's ajv does not coerce; query strings are text
      preValidation: async (request) => {
        const q = request.query as Record<string, unknown>;
        for (const k of ['limit', 'before']) if (typeof q[k] === 'string' && /^\d{1,9}$/.test(q[k] as string)) q[k] = Number(q[k]);
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await getLayer(db.kysely, id);
      const { versions, more } = await versionPage(db.kysely, id, request.query);
      if (more) {
        const next = new URLSearchParams({ ...(request.query.limit ? { limit: String(request.query.limit) } : {}), before: String(versions[versions.length - 1].version) });
        // absolute, from PUBLIC_URL when set: behind a proxy with a path prefix a bare path would lose it
        reply.header('link', `<${baseUrl(request, app.config.publicUrl)}/api/layers/${encodeURIComponent(id)}/versions?${next}>; rel="next"`);
      }
      return versions;
    },
  );
}
