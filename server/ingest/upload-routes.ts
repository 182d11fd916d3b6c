/**
 * Layer uploads (issue 5): POST /api/layers/{id}/uploads, multipart `file` plus fields
 * `mode`, `crs`, `towgs84`, `encoding`, `dryRun`, `note`, `repair`, `layer`, `idField`.
 * Synchronous: the viewer shows transfer progress with XMLHttpRequest `upload.onprogress`
 * and then waits for this response (see README.md "Progress"). The editor role is checked
 * `onRequest`: a caller without it is refused before a byte of the upload is read.
 */
import type { FastifyInstance } from 'fastify';
import { requireRole } from '../auth/roles.js';
import { handleUpload } from './upload-service.js';
import { sweepStaleTempDirs } from './upload-receive.js';

/** the multipart fields as the OpenAPI document shows them (documentation only) */
const UPLOAD_BODY_DOC = {
  type: 'object',
  required: ['file'],
  properties: {
    file: { type: 'string', format: 'binary', description: 'zipped shapefile, GeoJSON, TXT, GeoPackage, KML or KMZ' },
    mode: { type: 'string', enum: ['replace', 'append'], default: 'replace' },
    crs: { type: 'string', description: 'EPSG code, e.g. 4530 or EPSG:4530' },
    towgs84: { type: 'string', description: '7 numbers (Xian 1980 / Beijing 1954)' },
    encoding: { type: 'string', enum: ['UTF-8', 'GBK'] },
    dryRun: { type: 'boolean' },
    repair: { type: 'boolean' },
    note: { type: 'string' },
    layer: { type: 'string', description: 'one layer of a multi-layer file' },
    idField: { type: 'string' },
  },
} as const;

export async function uploadRoutes(app: FastifyInstance): Promise<void> {
  void sweepStaleTempDirs(); // leftovers of a killed process
  app.post<{ Params: { id: string } }>(
    '/api/layers/:id/uploads',
    {
      onRequest: requireRole('editor'),
      // the multipart body is streamed and checked by the service (4xx naming the field); this only documents it
      config: { swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, body: UPLOAD_BODY_DOC }, url }) },
      schema: {
        summary: '上传图层文件 (zipped shapefile, GeoJSON, boundary-coordinate TXT, GeoPackage, KML/KMZ) as one new layer version',
        description:
          'multipart/form-data: file (required); mode=replace|append; crs (EPSG code); towgs84 (7 numbers, Xian 1980/Beijing 1954); encoding (UTF-8|GBK); dryRun=true; note; repair=true; layer (one layer of a multi-layer zip); idField. 201 written; 200 dry run report; 422 problems row by row, nothing written; 413 names the limit.',
        tags: ['layers'],
        consumes: ['multipart/form-data'],
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
      },
    },
    async (request, reply) => {
      const { status, body } = await handleUpload(app, request);
      reply.status(status);
      return body;
    },
  );
}
