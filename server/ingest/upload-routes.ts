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

export async function uploadRoutes(app: FastifyInstance): Promise<void> {
  void sweepStaleTempDirs(); // leftovers of a killed process
  app.post<{ Params: { id: string } }>(
    '/api/layers/:id/uploads',
    {
      onRequest: requireRole('editor'),
      schema: {
        summary: '上传图层文件 (zipped shapefile, GeoJSON, boundary-coordinate TXT) as one new layer version',
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
