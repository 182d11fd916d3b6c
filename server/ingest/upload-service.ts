/**
 * POST /api/layers/{id}/uploads as a service: receive the stream into a temp folder, run the
 * pipeline, record the audit entry (who, file name, size, sha256, result — refusals too), and
 * always remove the temp folder. Returns the HTTP status and body; errors are thrown as
 * AppErrors for the one error handler.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { recordAudit, recordCommittedAudit } from '../auth/audit.js';
import { getLayerRow } from '../layers/layer-registry.js';
import { toAppError } from '../errors.js';
import { ingestLimits } from './ingest-limits.js';
import { ingestSlots } from './ingest-slots.js';
import { runIngest, type IngestOutcome } from './ingest-run.js';
import { parseUploadOptions } from './upload-options.js';
import { receiveUpload, type ReceivedUpload } from './upload-receive.js';

const PROGRESS_LOG_MS = 10_000;

export interface UploadResponse {
  status: 200 | 201;
  body: Record<string, unknown>;
}

function responseFor(layerId: string, outcome: IngestOutcome): UploadResponse {
  const r = outcome.result;
  const dryRun = outcome.kind === 'dry-run';
  return {
    status: dryRun ? 200 : 201,
    body: {
      layer: layerId,
      ...(dryRun ? { dryRun: true } : {}),
      // for a dry run: the version and counts the upload would produce
      version: r.version,
      added: r.added,
      removed: r.removed,
      changed: r.changed,
      featureCount: r.featureCount,
      warnings: outcome.warnings,
      source: outcome.source,
      fields: outcome.fields,
    },
  };
}

export async function handleUpload(app: FastifyInstance, request: FastifyRequest<{ Params: { id: string } }>): Promise<UploadResponse> {
  const layerId = request.params.id;
  const limits = ingestLimits(app.config.limits);
  await getLayerRow(app.db.kysely, layerId); // 404 before reading a large body for nothing
  let received: ReceivedUpload | null = null;
  const fileFacts = () => (received ? { fileName: received.fileName, size: received.size, sha256: received.sha256 } : {});
  try {
    received = await receiveUpload(request, limits.uploadBytes);
    const opts = parseUploadOptions({ ...(request.query as Record<string, unknown>), ...received.fields });
    const started = Date.now();
    let logged = 0;
    const onProgress = (read: number) => {
      // the first staged batch, then every 10 s: an operator (and the kill test) sees work begin
      if (logged && Date.now() - logged < PROGRESS_LOG_MS) return;
      logged = Date.now();
      request.log.info({ layer: layerId, read, ms: logged - started }, 'upload staging');
    };
    const file = received;
    const outcome = await ingestSlots(app).run(() => runIngest(app.db.kysely, { layerId, file, opts, limits, author: request.principal.name, onProgress, ownPartitionRows: app.config.ownPartitionRows }));
    request.log.info({ layer: layerId, features: outcome.result.featureCount, ms: Date.now() - started, dryRun: opts.dryRun }, 'upload ingested');
    const response = responseFor(layerId, outcome);
    // committed (or a dry run, rolled back): from here on the answer is the outcome
    await recordCommittedAudit(app.db.kysely, request, {
      action: opts.dryRun ? 'layer.upload.dry-run' : 'layer.upload',
      target: layerId,
      result: 'ok',
      details: { ...outcome.source, ...(outcome.kind === 'written' ? { version: outcome.result.version } : {}), note: opts.note ?? null },
    });
    return response;
  } catch (err) {
    const e = toAppError(err);
    await recordAudit(app.db.kysely, request, {
      action: 'layer.upload',
      target: layerId,
      result: e.status < 500 ? 'refused' : 'failed',
      details: { ...fileFacts(), status: e.status, error: e.code, message: e.message.slice(0, 500) },
    }).catch((auditErr) => request.log.error({ err: auditErr }, 'audit record failed'));
    throw err;
  } finally {
    if (received) await (received as ReceivedUpload).dispose().catch(() => {});
  }
}
