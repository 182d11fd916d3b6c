/**
 * The upload pipeline for one layer: open (format, CRS, encoding) → stage (EPSG:4490) →
 * validate → write ONE new layer version (writeStagedInTransaction, straight from the staging
 * table), all in ONE transaction. Any error, a refusal, a dry
 * run or the process dying before COMMIT leaves the store exactly as it was.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Schema } from '../db/schema.js';
import { refreshStatisticsAfter } from '../db/statistics.js';
import { getLayerRow } from '../layers/layer-registry.js';
import { createOwnPartition, dropOwnPartition, mayLoadOwnPartition, OWN_PARTITION_ROWS } from '../layers/layer-partition.js';
import { writeStagedInTransaction, type WriteResult } from '../layers/layer-writes.js';
import type { InputProblem } from '../errors.js';
import { AttributeMapper } from './attribute-map.js';
import type { IngestLimits } from './ingest-limits.js';
import { COUNTY_LAYER, createStaging, indexStaging, stageFeatures } from './ingest-staging.js';
import type { OpenedSource, UploadOptions } from './ingest-types.js';
import { validateStaged } from './ingest-validate.js';
import { openUpload, type StoredFile } from './open-upload.js';
import { ProblemList } from './problem-list.js';

export interface IngestRequest {
  layerId: string;
  file: StoredFile & { sha256: string };
  opts: UploadOptions;
  limits: IngestLimits;
  author: string;
  /** called after each staged batch with the features read so far (logs, progress) */
  onProgress?: (read: number) => void;
  /** a first load of at least this many rows gets a partition of its own (layer-partition.ts) */
  ownPartitionRows?: number;
}

/** What was read, for the report and the version's `source`. */
export interface IngestSourceInfo {
  fileName: string;
  size: number;
  sha256: string;
  format: OpenedSource['format'];
  crs: string;
  srid: number;
  encoding: string | null;
  layer?: string;
  mode: UploadOptions['mode'];
}

export type IngestOutcome =
  | { kind: 'written'; result: WriteResult; source: IngestSourceInfo; warnings: InputProblem[]; fields: Record<string, string> }
  /** a valid file, rolled back: `result` is what the write would have produced */
  | { kind: 'dry-run'; result: WriteResult; source: IngestSourceInfo; warnings: InputProblem[]; fields: Record<string, string> };

/** Thrown inside the transaction to roll a dry run back after computing its counts. */
class DryRunRollback extends Error {
  constructor(readonly result: WriteResult) {
    super('dry run');
  }
}

/**
 * A layer's first bulk load (layer-partition.ts) whose rows are loaded while they are read: the
 * layer has no rows and no table of its own, the file says it holds at least the bound's rows
 * (its header, or the features counted when it was opened), and this is not a dry run (which
 * must not load what it rolls back). The version is the layer's next: the layer row is locked
 * from the transaction's first statement, so no other write can take it.
 */
async function loadTarget(trx: Transaction<Schema>, req: IngestRequest, source: OpenedSource, from: number) {
  const expected = source.expectedCount;
  if (req.opts.dryRun || expected === undefined || !(await mayLoadOwnPartition(trx, req.layerId, expected, from))) return null;
  const table = await createOwnPartition(trx, req.layerId);
  if (!table) return null;
  const v = await sql<{ version: number }>`select version from layers where id = ${req.layerId}`.execute(trx);
  return { table, layerId: req.layerId, version: v.rows[0].version + 1 };
}

export async function runIngest(db: Kysely<Schema>, req: IngestRequest): Promise<IngestOutcome> {
  const layer = await getLayerRow(db, req.layerId);
  const problems = new ProblemList();
  const source = await openUpload(req.file, req.opts, req.limits, problems);
  const info: IngestSourceInfo = {
    fileName: req.file.fileName,
    size: req.file.size,
    sha256: req.file.sha256,
    format: source.format,
    crs: source.crs.label,
    srid: source.crs.srid,
    encoding: source.encoding,
    ...(source.layerName ? { layer: source.layerName } : {}),
    mode: req.opts.mode,
  };
  const mapper = new AttributeMapper(layer.attributes, problems, req.opts.idField);
  try {
    const result = await db.transaction().execute(async (trx) => {
      // Serialise writers of this layer from the first check to COMMIT (append-clash checks stay true).
      await sql`select 1 from layers where id = ${req.layerId} for update`.execute(trx);
      // Bulk statements over a temp table: JIT compilation costs more than it saves here.
      await sql`set local jit = off`.execute(trx);
      await createStaging(trx);
      // rows from which a layer's first write gets a table of its own (layer-partition.ts)
      const ownFrom = req.ownPartitionRows ?? OWN_PARTITION_ROWS;
      const load = await loadTarget(trx, req, source, ownFrom);
      const hasCode = layer.attributes.some((a) => a.name === 'code');
      const staged = await stageFeatures(trx, source, {
        mapper,
        problems,
        limits: req.limits,
        repair: req.opts.repair,
        multi: layer.geometry_type.startsWith('Multi'),
        hasCode,
        onProgress: req.onProgress,
        screen: { geometryType: layer.geometry_type, county: req.layerId !== COUNTY_LAYER },
        load: load ?? undefined,
      });
      if (staged.suspects?.length) await indexStaging(trx);
      const checked = await validateStaged(trx, {
        layerId: req.layerId,
        geometryType: layer.geometry_type,
        mode: req.opts.mode,
        repair: req.opts.repair,
        problems,
        codeIds: hasCode ? { anyFileId: staged.anyFileId, allHaveCode: staged.allHaveCode } : undefined,
        suspects: staged.suspects,
        idsUnique: staged.idsUnique,
        autoIdsShort: staged.autoIdsShort,
      });
      // A dry run with errors is refused like a real upload: the 422 is the report.
      if (problems.hasErrors) throw problems.refusal();
      // Not the loaded table after all: its rows hold codes as ids that validation gave up, or the
      // file held fewer rows than it said (.dbf records marked deleted) — the ordinary write decides.
      const keep = load && !checked.idsChanged && staged.staged >= ownFrom;
      const loaded = load && keep ? { version: load.version, rest: staged.suspects ?? [] } : undefined;
      if (load && !loaded) await dropOwnPartition(trx, req.layerId);
      // The staged table IS the new version's content: written set-based, never back through Node.
      const written = await writeStagedInTransaction(trx, {
        layerId: req.layerId,
        mode: req.opts.mode,
        table: 'upload_staging',
        author: req.author,
        note: req.opts.note ?? null,
        source: { ...info },
        // validateStaged ran ST_IsValid over every staged row (and removed or refused the rest)
        validGeometry: true,
        // not for a dry run, which must not lock the default partition to attach what it rolls back
        ownPartitionFrom: req.opts.dryRun ? Infinity : req.ownPartitionRows,
        loaded,
      });
      if (req.opts.dryRun) throw new DryRunRollback(written);
      return written;
    });
    // a bulk write: fresh planner statistics, not when autovacuum comes by (never on PGlite)
    refreshStatisticsAfter(db, result);
    return { kind: 'written', result, source: info, warnings: problems.warningList(), fields: mapper.renamed() };
  } catch (e) {
    if (!(e instanceof DryRunRollback)) throw e;
    return { kind: 'dry-run', result: e.result, source: info, warnings: problems.warningList(), fields: mapper.renamed() };
  }
}
