/**
 * Is a layer a polygon coverage (no two features overlap)? rules.json declares which layers
 * should be (`layers.<id>.disjoint`); PostGIS verifies it once per layer VERSION and the answer
 * is kept in check_layer_coverage (migrations/006_checks_coverage.sql). For a verified layer a
 * check sums its pieces' areas instead of unioning the pieces (the costly step: ~4× the whole
 * overlap query on 900 farmland parcels). Unverified, or found overlapping: the union, always
 * correct. A version is immutable, so a verdict never goes stale; a new version needs its own.
 *
 * Verification is a GiST self-join of the layer's current features: pairs whose interiors
 * intersect (ST_Relate '2********', after the cheap ST_Intersects), their overlap measured on the
 * ellipsoid. Disjoint ⇔ the overlaps sum to ≤ MIN_OVERLAP_M2, so summing instead of unioning can
 * never misstate an area by more than that. The same pass stores each feature's own area
 * (check_feature_areas), read by checks for features wholly inside a block. Cost: ~2 s for 24,000
 * parcels on PostgreSQL (8 s on PGlite), ~25–60 s for 200,000 — hence once per version, in
 * slices that leave the database free in between, in the background after a check meets an
 * unverified version (or awaited, by the plan audit, the benchmark and tests).
 */
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { areaSql } from './areas.js';
import { DISJOINT_LAYERS, MIN_OVERLAP_M2 } from './rules.js';

export interface CoverageVerdict {
  layer: string;
  version: number;
  disjoint: boolean;
  features: number;
  overlapPairs: number;
  /** m², ellipsoidal, summed over overlapping pairs */
  overlapM2: number;
  /** one overlapping pair, "fid / fid" */
  example: string | null;
  ms: number;
}

interface Row { layer_id: string; version: number; disjoint: boolean; features: number; overlap_pairs: number; overlap_m2: number; example: string | null; ms: number }
const fromRow = (r: Row): CoverageVerdict => ({
  layer: r.layer_id, version: r.version, disjoint: r.disjoint, features: r.features, overlapPairs: r.overlap_pairs, overlapM2: r.overlap_m2, example: r.example, ms: r.ms,
});

/** Verdicts stored for the CURRENT versions of `layers` (missing: not verified yet). */
export async function storedCoverage(db: Kysely<Schema>, layers: readonly string[]): Promise<Map<string, CoverageVerdict>> {
  if (layers.length === 0) return new Map();
  const rows = await sql<Row>`
    select c.* from check_layer_coverage c join layers l on l.id = c.layer_id and l.version = c.version
    where c.layer_id in (${sql.join(layers)})`.execute(db);
  return new Map(rows.rows.map((r) => [r.layer_id, fromRow(r)]));
}

/** current features examined per statement: the connection is free between slices (PGlite has one) */
export const COVERAGE_SLICE = 2_000;

/**
 * Verify `layer` at its current version and store the verdict; an existing verdict is returned
 * as is. The layer is examined in slices of COVERAGE_SLICE features, each its own short
 * statement, so a long verification never holds the database (PGlite serves one statement at a
 * time); the verdict is stored only if the layer's version is still the one examined, in the
 * same transaction that re-reads it — a write in between discards the work (the next check
 * starts it again).
 */
export async function verifyCoverage(db: Kysely<Schema>, layer: string, slice = COVERAGE_SLICE, signal?: AbortSignal): Promise<CoverageVerdict | null> {
  const current = async () => (await sql<{ version: number }>`select version from layers where id = ${layer}`.execute(db)).rows[0]?.version;
  const version = await current();
  if (version === undefined) return null;
  const done = await sql<Row>`select * from check_layer_coverage where layer_id = ${layer} and version = ${version}`.execute(db);
  if (done.rows[0]) return fromRow(done.rows[0]);
  const started = performance.now();
  const ids = (await sql<{ id: string }>`select f.id::text as id from features f where f.layer_id = ${layer} and f.valid_to is null order by f.id`.execute(db)).rows.map((r) => r.id);
  let pairs = 0;
  let m2 = 0;
  let example: { m2: number; text: string } | null = null;
  for (let from = 0; from < ids.length; from += slice) {
    if (signal?.aborted) return null; // shutting down: the next check starts again
    const lo = ids[from];
    const hi = ids[Math.min(ids.length, from + slice) - 1];
    const r = await db.transaction().execute(async (trx) => {
      await sql`select set_config('jit', 'off', true)`.execute(trx);
      // the own area of every current feature, for checks whose block covers it (overlap-query.ts)
      await sql`insert into check_feature_areas (feature_id, area_m2)
        select id, ${areaSql(sql.ref('geom'))} from features
        where layer_id = ${layer} and valid_to is null and id between ${lo}::bigint and ${hi}::bigint
        on conflict (feature_id) do nothing`.execute(trx);
      return sql<{ pairs: number; m2: number | null; top_m2: number | null; top: string | null }>`
        with o as (
          select a.fid as af, b.fid as bf, ${areaSql(sql`ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3)`)} as m2
          -- "b.id + 0": the pair order is a filter, never an index condition — as one, the planner
          -- ANDed a range scan of the primary key (every later row) into each GiST probe
          from features a join features b
            on b.layer_id = a.layer_id and b.valid_to is null and b.id + 0 > a.id and b.geom_3857 && a.geom_3857
           and ST_Intersects(a.geom, b.geom) and ST_Relate(a.geom, b.geom, '2********')
          where a.layer_id = ${layer} and a.valid_to is null and a.id between ${lo}::bigint and ${hi}::bigint
        )
        select (select count(*)::int from o) as pairs, (select sum(m2) from o) as m2,
               t.m2 as top_m2, t.af || ' / ' || t.bf as top
        from (select 1) one left join lateral (select * from o order by m2 desc limit 1) t on true`.execute(trx);
    });
    const row = r.rows[0];
    pairs += row.pairs;
    m2 += row.m2 ?? 0;
    if (row.top && (!example || (row.top_m2 ?? 0) > example.m2)) example = { m2: row.top_m2 ?? 0, text: row.top };
  }
  const verdict: CoverageVerdict = {
    layer, version, disjoint: m2 <= MIN_OVERLAP_M2, features: ids.length, overlapPairs: pairs, overlapM2: m2, example: example?.text ?? null, ms: performance.now() - started,
  };
  return db.transaction().execute(async (trx) => {
    const now = await sql<{ version: number }>`select version from layers where id = ${layer} for share`.execute(trx);
    if (now.rows[0]?.version !== version) return null; // written meanwhile: this verdict is of an old version
    await sql`insert into check_layer_coverage (layer_id, version, disjoint, features, overlap_pairs, overlap_m2, example, ms)
      values (${layer}, ${version}, ${verdict.disjoint}, ${verdict.features}, ${pairs}, ${m2}, ${verdict.example}, ${verdict.ms})
      on conflict (layer_id, version) do nothing`.execute(trx);
    return verdict;
  });
}

/** Verify every declared layer that is loaded (awaited: plan audit, tests, benchmark). */
export async function verifyDeclaredCoverage(db: Kysely<Schema>, layers: readonly string[] = DISJOINT_LAYERS): Promise<CoverageVerdict[]> {
  const out: CoverageVerdict[] = [];
  for (const layer of layers) {
    const v = await verifyCoverage(db, layer);
    if (v) out.push(v);
  }
  return out;
}

/** Background verifications per database handle: one per layer at a time, stoppable at shutdown. */
const running = new WeakMap<object, { jobs: Map<string, Promise<unknown>>; stop: AbortController }>();

/**
 * Start verifying `layers` in the background (a check met them unverified); never throws — a
 * failed verification only means the next check unions again and retries. Returns the promise
 * for callers that want to wait (tests).
 */
export function verifyInBackground(db: Kysely<Schema>, layers: readonly string[], onError?: (err: unknown) => void): Promise<void> {
  let mine = running.get(db);
  if (!mine || mine.stop.signal.aborted) running.set(db, (mine = { jobs: new Map(), stop: new AbortController() }));
  const { jobs, stop } = mine;
  const started = layers.map((layer) => {
    const pending = jobs.get(layer);
    if (pending) return pending;
    const job = verifyCoverage(db, layer, COVERAGE_SLICE, stop.signal)
      .catch((err) => onError?.(err))
      .finally(() => jobs.delete(layer));
    jobs.set(layer, job);
    return job;
  });
  return Promise.all(started).then(() => undefined);
}

/** Wait for every background verification started on `db` (tests). */
export async function backgroundCoverageSettled(db: Kysely<Schema>): Promise<void> {
  await Promise.all([...(running.get(db)?.jobs.values() ?? [])]);
}

/** Shutdown: stop background verifications at their next slice and wait for the statement in flight. */
export async function stopBackgroundCoverage(db: Kysely<Schema>): Promise<void> {
  running.get(db)?.stop.abort();
  await backgroundCoverageSettled(db);
}
