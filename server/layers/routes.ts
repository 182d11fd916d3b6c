/** /api/layers: the layer list, one layer with its attribute schema, its version history. */
import type { FastifyInstance } from 'fastify';
import { getLayer, listLayers } from './layer-registry.js';
import { listVersions } from './versions.js';

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
  app.get<{ Params: { id: string } }>(
    '/api/layers/:id/versions',
    { schema: { summary: 'Version history: version, time, author, note, source file, counts', tags: ['layers'], params: layerParams } },
    async (request) => {
      await getLayer(db.kysely, request.params.id);
      return listVersions(db.kysely, request.params.id);
    },
  );
}
