/**
 * Every write to a layer is one new layer version in one transaction. Rows are never
 * updated in place: changed and removed features get valid_to = new version, new and
 * changed ones are inserted with valid_from = new version. Unchanged features keep their rows.
 *
 * Two entry points share the set-based diff: writeInTransaction (features given as GeoJSON in
 * JS) and writeStagedInTransaction (features already in a temp table, e.g. an upload staged
 * and validated by ingest; no round trip through Node). Both enforce the store's invariants
 * themselves: unique ids, and valid, non-empty geometry of the layer's type.
 */
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { ConflictError, NotFoundError, UnprocessableError } from '../errors.js';
import type { Schema } from '../db/schema.js';
import { attachOwnPartition, fillOwnPartition, mayLoadOwnPartition, OWN_PARTITION_ROWS, type OwnPartition } from './layer-partition.js';

/** A feature to write: geometry is GeoJSON in EPSG:4490 lon/lat. */
export interface FeatureInput {
  id?: string | number | null;
  properties?: Record<string, unknown> | null;
  geometry: { type: string; coordinates?: unknown; geometries?: unknown };
}

export type WriteMode =
  /** the layer becomes exactly these features */
  | 'replace'
  /** add these; an existing id is a conflict */
  | 'append'
  /** insert or replace these ids, keep the rest */
  | 'upsert'
  /** remove `deleteIds`, keep the rest */
  | 'delete';

export interface WriteRequest {
  layerId: string;
  mode: WriteMode;
  features?: FeatureInput[];
  deleteIds?: string[];
  author: string;
  note?: string | null;
  /** e.g. { fileName, size, sha256, format } for uploads */
  source?: Record<string, unknown> | null;
  restoredFrom?: number | null;
  /**
   * a first write of at least this many rows to a layer with none is a bulk load into a
   * partition of the layer's own (layer-partition.ts); tests lower it
   */
  ownPartitionFrom?: number;
}

export interface WriteResult {
  layerId: string;
  version: number;
  added: number;
  removed: number;
  changed: number;
  featureCount: number;
}

/** rows per INSERT … SELECT FROM jsonb_array_elements: bounds one bind parameter's size */
const BATCH = 2000;
/** features.fid's CHECK (migration 001) */
export const FID_MAX = 200;
/** storage grid in degrees; outputs in EPSG:4490 use 9 decimals to match */
export const GRID = 1e-9;

/**
 * the id of a staged row without one: `<layer>-<version>-<position in the file, 1-based>` — given by
 * writeStagedInTransaction below and, to the same rows, by a first load while it stages (ingest-staging.ts)
 */
export const generatedFid = (layerId: string, version: number, idx: RawBuilder<unknown>): RawBuilder<string> => sql<string>`${`${layerId}-${version}-`} || (${idx} + 1)`;

/**
 * The store's own invariant, whatever the caller validated: every geometry is valid and of
 * the layer's type. The first few offenders are named by feature index with PostGIS's reason.
 */
async function assertStagedValid(trx: Transaction<Schema>, geometryType: string, table: RawBuilder<unknown> = sql.table('staging_features')) {
  const bad = await sql<{ idx: number; fid: string; problem: string }>`
    select idx, fid,
      case when ST_IsEmpty(geom) then 'empty or degenerate geometry (fewer than 3 distinct points)'
           when not ST_IsValid(geom) then ST_IsValidReason(geom)
           else 'geometry type ' || replace(GeometryType(geom), 'MULTI', 'Multi') || ' is not ' || ${geometryType} end as problem
    from ${table}
    where ST_IsEmpty(geom) or not ST_IsValid(geom) or lower(GeometryType(geom)) <> lower(${geometryType})
    order by idx limit 20`.execute(trx);
  if (bad.rows.length) {
    throw new UnprocessableError(`几何图形无效 (invalid geometry in feature ${bad.rows[0].idx}: ${bad.rows[0].problem})`, {
      problems: bad.rows.map((r) => ({ feature: r.idx, field: 'geometry', severity: 'error' as const, message: `${r.fid}: ${r.problem}` })),
    });
  }
}

/**
 * Names the staged row a refused INSERT stumbled on: a duplicate id (the unique index on current
 * ids, 23505) or an id too long for the column's CHECK (23514). Called only after such a refusal —
 * on success the index and the CHECK were the test (a GROUP BY of every staged id before each
 * write cost ~0.1 s of a 100 000-feature upload, and ingest's validation has already reported
 * every duplicate row by row).
 */
async function assertStagedIds(trx: Transaction<Schema>, table: RawBuilder<unknown>) {
  const dup = await sql<{ fid: string; idx: number }>`
    with d as (select fid from ${table} group by fid having count(*) > 1)
    select s.fid, (array_agg(s.idx order by s.idx))[2] as idx from ${table} s join d on d.fid = s.fid
    group by s.fid order by 2 limit 1`.execute(trx);
  if (dup.rows.length) {
    const { fid, idx } = dup.rows[0];
    throw new UnprocessableError(`要素编号重复 (duplicate feature id "${fid}")`, {
      problems: [{ feature: idx, field: 'id', severity: 'error', message: `duplicate feature id "${fid}"` }],
    });
  }
  const long = await sql<{ idx: number; n: number }>`select idx, length(fid) as n from ${table} where length(fid) > ${FID_MAX} order by idx limit 1`.execute(trx);
  if (long.rows.length) {
    const { idx, n } = long.rows[0];
    throw new UnprocessableError(`要素编号过长：${n} 个字符，上限 ${FID_MAX} (feature id longer than ${FID_MAX} characters)`, {
      problems: [{ feature: idx, field: 'id', severity: 'error', message: `feature id of ${n} characters (at most ${FID_MAX})` }],
    });
  }
}

/** Lock the layer row until COMMIT (writers of a layer are serialised) and name its next version. */
async function lockNextVersion(trx: Transaction<Schema>, layerId: string): Promise<{ version: number; geometryType: string }> {
  const layer = await sql<{ version: number; geometry_type: string }>`
    select version, geometry_type from layers where id = ${layerId} for update`.execute(trx);
  if (layer.rows.length === 0) throw new NotFoundError(`图层不存在 (no layer "${layerId}")`, { layer: layerId });
  return { version: layer.rows[0].version + 1, geometryType: layer.rows[0].geometry_type };
}

export async function writeLayerVersion(db: Kysely<Schema>, req: WriteRequest): Promise<WriteResult> {
  return db.transaction().execute((trx) => writeInTransaction(trx, req));
}

export async function writeInTransaction(trx: Transaction<Schema>, req: WriteRequest): Promise<WriteResult> {
  const { version, geometryType } = await lockNextVersion(trx, req.layerId);

  await sql`create temp table if not exists staging_features
    (idx integer not null, fid text not null, properties jsonb not null, geom geometry not null) on commit drop`.execute(trx);
  await sql`truncate staging_features`.execute(trx);
  await stageFeatures(trx, req, version, geometryType.startsWith('Multi'));
  await assertStagedValid(trx, geometryType);

  const { own, ...counts } = await applyDiff(trx, sql.table('staging_features'), req, version, geometryType, 'none');
  return finishVersion(trx, req, version, counts, own);
}

/**
 * The version row, the layer's version and the result (count and extent of the current rows).
 * A bulk load's own table (`own`) holds the current rows until it is attached, the write's last
 * statement (layer-partition.ts).
 */
async function finishVersion(
  trx: Transaction<Schema>,
  req: Pick<WriteRequest, 'layerId' | 'author' | 'note' | 'source' | 'restoredFrom'>,
  version: number,
  counts: { added: number; removed: number; changed: number },
  own?: OwnPartition,
): Promise<WriteResult> {
  const stats = (
    await sql<{ n: number; extent: number[] | null }>`select count(*)::int as n,
      case when count(*) = 0 then null else array[ST_XMin(ST_Extent(geom)), ST_YMin(ST_Extent(geom)), ST_XMax(ST_Extent(geom)), ST_YMax(ST_Extent(geom))] end as extent
      from ${own ? own.table : sql.table('features')} where layer_id = ${req.layerId} and valid_to is null`.execute(trx)
  ).rows[0];
  const featureCount = stats.n;

  await trx
    .insertInto('layer_versions')
    .values({
      layer_id: req.layerId,
      version,
      author: req.author,
      note: req.note ?? null,
      source: req.source ? JSON.stringify(req.source) : null,
      ...counts,
      feature_count: featureCount,
      extent: stats.extent,
      restored_from: req.restoredFrom ?? null,
    })
    .execute();
  await trx.updateTable('layers').set({ version, updated_at: sql`now()` }).where('id', '=', req.layerId).execute();
  if (own) await attachOwnPartition(trx, own);
  return { layerId: req.layerId, version, ...counts, featureCount };
}

/** A write whose features are already in a temporary table (see writeStagedInTransaction). */
export interface StagedWriteRequest extends Omit<WriteRequest, 'features' | 'deleteIds' | 'mode'> {
  mode: 'replace' | 'append' | 'upsert';
  /**
   * a temp table with columns idx integer (unique), fid text (null → generated
   * `<layer>-<version>-<idx+1>`), properties jsonb, geom geometry — EPSG:4490, already on the
   * store's grid (GRID) and Multi* for a Multi* layer. Rows with a null fid get their fid set.
   */
  table: string;
  /**
   * every staged geometry passed ST_IsValid in this transaction after its last change (ingest's
   * validateStaged): the INSERT then checks emptiness and type only — ST_IsValid over 100 000
   * rows a second time cost ~0.2–0.4 s of an upload (scratch, 4 alternations)
   */
  validGeometry?: boolean;
  /**
   * the layer's own table already holds this version's rows but these staged ones (an upload's
   * clean rows, loaded while it was read: layer-partition.ts createOwnPartition); the version
   * they were loaded as must be the one this write makes
   */
  loaded?: { version: number; rest: number[] };
}

/**
 * One new version from an already-staged table, set-based in SQL. The store's invariants are
 * checked here, whatever the caller validated: ids unique and not too long by the store's own
 * unique index and CHECK (the offending row named after a refusal, assertStagedIds), and validity,
 * emptiness and geometry type inside the INSERT itself — the inserted geometry is NULL when
 * the staged one is invalid, empty or of another type, which the NOT NULL column refuses;
 * only then are the offenders named. So each inserted row is checked once, and unchanged
 * rows (already stored, already valid) are not checked again; with `validGeometry`, validity
 * was that check, earlier in the same transaction.
 */
export async function writeStagedInTransaction(trx: Transaction<Schema>, req: StagedWriteRequest): Promise<WriteResult> {
  const { version, geometryType } = await lockNextVersion(trx, req.layerId);
  const table = sql.table(req.table);
  await sql`update ${table} set fid = ${generatedFid(req.layerId, version, sql.ref('idx'))} where fid is null or fid = ''`.execute(trx);
  if (req.loaded && req.loaded.version !== version) throw new Error(`rows loaded as version ${req.loaded.version}, writing ${version}`);
  const { own, ...counts } = await applyDiff(trx, table, req, version, geometryType, req.validGeometry ? 'shape' : 'full', req.loaded?.rest);
  return finishVersion(trx, req, version, counts, own);
}

async function stageFeatures(trx: Transaction<Schema>, req: WriteRequest, version: number, multi: boolean) {
  const features = req.features ?? [];
  const seen = new Set<string>();
  const rows = features.map((f, i) => {
    const fid = f.id === undefined || f.id === null || f.id === '' ? `${req.layerId}-${version}-${i + 1}` : String(f.id);
    if (seen.has(fid)) {
      throw new UnprocessableError(`要素编号重复 (duplicate feature id "${fid}")`, {
        problems: [{ feature: i, field: 'id', severity: 'error', message: `duplicate feature id "${fid}"` }],
      });
    }
    seen.add(fid);
    return { id: fid, properties: f.properties ?? {}, geometry: f.geometry };
  });
  // Snapped to 1e-9° (~0.1 mm) so that a feature read out (9 decimals) and written back
  // unchanged compares equal and does not count as "changed".
  const parsed = sql`ST_SnapToGrid(ST_SetSRID(ST_GeomFromGeoJSON(f.value->'geometry'), 4490), ${GRID})`;
  const geom = multi ? sql`ST_Multi(${parsed})` : parsed;
  for (let i = 0; i < rows.length; i += BATCH) {
    await sql`insert into staging_features (idx, fid, properties, geom)
      select ${i}::int + f.ordinality::int - 1, f.value->>'id', f.value->'properties', ${geom}
      from jsonb_array_elements(${JSON.stringify(rows.slice(i, i + BATCH))}::jsonb) with ordinality as f`.execute(trx);
  }
  if (req.mode === 'delete') {
    const ids = req.deleteIds ?? [];
    const found = await sql<{ fid: string }>`select fid from features
      where layer_id = ${req.layerId} and valid_to is null and fid = any(${ids}::text[])`.execute(trx);
    const missing = ids.filter((id) => !found.rows.some((r) => r.fid === id));
    if (missing.length) throw new NotFoundError(`要素不存在 (no feature "${missing[0]}")`, { layer: req.layerId, feature: missing[0] });
  }
}

/**
 * The set-based diff of `staged` against the layer's current rows: close changed (same fid,
 * other properties or geometry) and, for replace/delete, removed rows; insert new and changed
 * ones. `guard`: the INSERT itself refuses invalid ('full'), or only empty or wrong-type
 * ('shape'), geometry (see writeStagedInTransaction); with 'none' the caller has asserted all of
 * it beforehand.
 */
async function applyDiff(
  trx: Transaction<Schema>,
  staged: RawBuilder<unknown>,
  req: Pick<WriteRequest, 'layerId' | 'mode' | 'deleteIds' | 'ownPartitionFrom'>,
  version: number,
  geometryType: string,
  guard: 'full' | 'shape' | 'none',
  /** the layer's own table holds every staged row but these (StagedWriteRequest.loaded) */
  rest?: number[],
) {
  const layerId = req.layerId;
  const valid = guard === 'full' ? sql`and ST_IsValid(s.geom)` : sql``;
  const geom =
    guard === 'none'
      ? sql`s.geom`
      : sql`case when not ST_IsEmpty(s.geom) ${valid} and lower(GeometryType(s.geom)) = lower(${geometryType}) then s.geom end`;
  /**
   * `write` under a savepoint: a guarded geometry refused by NOT NULL (23502), a duplicate id
   * (23505) or an overlong one (23514) names its feature
   */
  const guarded = async <T>(write: () => Promise<T>): Promise<T> => {
    if (guard === 'none') return write();
    await sql`savepoint store_insert`.execute(trx);
    try {
      const out = await write();
      await sql`release savepoint store_insert`.execute(trx);
      return out;
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      if (!['23502', '23505', '23514'].includes(code)) throw e;
      await sql`rollback to savepoint store_insert`.execute(trx);
      if (code === '23502') await assertStagedValid(trx, geometryType, staged);
      else await assertStagedIds(trx, staged);
      throw e;
    }
  };
  if (rest) {
    const own = await guarded(() =>
      fillOwnPartition(trx, layerId, version, sql`select s.fid, s.properties, ${geom} as geom from ${staged} s where s.idx = any(${rest}::int[])`, true),
    );
    if (!own) throw new Error('the loaded table went missing');
    return { added: own.rows, removed: 0, changed: 0, own };
  }
  if (req.mode !== 'delete') {
    // a layer's first bulk load: every staged row is new (the layer has no rows at all)
    const rows = (await sql<{ n: number }>`select count(*)::int as n from ${staged}`.execute(trx)).rows[0].n;
    if (await mayLoadOwnPartition(trx, layerId, rows, req.ownPartitionFrom ?? OWN_PARTITION_ROWS)) {
      const own = await guarded(() => fillOwnPartition(trx, layerId, version, sql`select s.fid, s.properties, ${geom} as geom from ${staged} s`));
      if (own) return { added: own.rows, removed: 0, changed: 0, own };
    }
  }
  if (req.mode === 'append') {
    const clash = await sql<{ fid: string }>`select s.fid from ${staged} s join features f
      on f.layer_id = ${layerId} and f.valid_to is null and f.fid = s.fid limit 1`.execute(trx);
    if (clash.rows.length) throw new ConflictError(`要素编号已存在 (feature id "${clash.rows[0].fid}" already exists)`, { feature: clash.rows[0].fid });
  }
  // Changed: same id, different properties or geometry (PostGIS "=" is exact coordinate equality).
  const changed = await sql<{ n: number }>`with c as (
      update features f set valid_to = ${version}
      from ${staged} s
      where f.layer_id = ${layerId} and f.valid_to is null and f.fid = s.fid
        and (f.properties <> s.properties or not (f.geom = s.geom))
      returning f.fid)
    select count(*)::int as n from c`.execute(trx);
  let removed = 0;
  if (req.mode === 'replace' || req.mode === 'delete') {
    const gone =
      req.mode === 'replace'
        ? sql`not exists (select 1 from ${staged} s where s.fid = f.fid)`
        : sql`f.fid = any(${req.deleteIds ?? []}::text[])`;
    removed = (
      await sql<{ n: number }>`with r as (
        update features f set valid_to = ${version}
        where f.layer_id = ${layerId} and f.valid_to is null and ${gone}
        returning 1) select count(*)::int as n from r`.execute(trx)
    ).rows[0].n;
  }
  // Insert what has no current row now (new ids and the changed ones just closed).
  const inserted = await guarded(async () => {
    const r = await sql<{ n: number }>`with i as (
        insert into features (layer_id, fid, properties, geom, valid_from)
        select ${layerId}, s.fid, s.properties, ${geom}, ${version} from ${staged} s
        where not exists (select 1 from features f where f.layer_id = ${layerId} and f.valid_to is null and f.fid = s.fid)
        returning 1) select count(*)::int as n from i`.execute(trx);
    return r.rows[0].n;
  });
  const changedN = changed.rows[0].n;
  return { added: inserted - changedN, removed, changed: changedN, own: undefined };
}
