/**
 * runCheck: one proposed block → one stored report. Reads (layer versions, overlaps) and the
 * inserts happen in one transaction, REPEATABLE READ on PostgreSQL, so the versions named in the
 * report are the data the findings were computed from, and a failure stores nothing.
 * Round trips: begin; block + layers (with their coverage verdicts) + JIT off; one spatial
 * statement that also stores the findings' pieces; the report row; commit. JIT is off for the transaction: the
 * high declared costs of PostGIS functions push the spatial statement over jit_above_cost, and
 * compiling it took longer (~70 ms) than running it.
 */
import crypto from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Schema } from '../db/schema.js';
import { areaFigures } from './areas.js';
import { buildBlock } from './block-geometry.js';
import type { CheckInput } from './check-request.js';
import { ACTIVITY_LABELS, type CheckReport } from './check-report.js';
import { insertCheck } from './check-store.js';
import { verifyInBackground } from './coverage.js';
import { readSourceGeometry } from './input-geometry.js';
import { readShapefileBlock, shapefileLimits } from './shapefile-block.js';
import type { IngestLimits } from '../ingest/ingest-limits.js';
import { evaluateRules, ruleLayer, type LayerInfo } from './rule-evaluation.js';
import { DISJOINT_LAYERS, minimumScales, RULES, RULES_DOCUMENT, VERDICT_LABELS, worstVerdict, type MinimumScale, type Rule } from './rules.js';

export interface CheckOptions {
  actor: string;
  role: string | null;
  maxVertices: number;
  /** features listed per finding (the total is always given) */
  topN?: number;
  rules?: readonly Rule[];
  scales?: MinimumScale[];
  /**
   * A declared-disjoint layer whose current version is not verified yet is unioned (correct,
   * slower); 'background' (default) then starts its verification for later checks, 'off' does not.
   */
  verifyCoverage?: 'background' | 'off';
  /** where a failed background verification is reported (the route passes its logger) */
  onCoverageError?: (err: unknown) => void;
  /** bounds for a zipped-shapefile block (the route passes the upload limits) */
  zipLimits?: IngestLimits;
  /** runs in the check's transaction after the report is stored (the route writes its audit entry: one commit, atomic) */
  afterStore?: (trx: Kysely<Schema>, report: CheckReport) => Promise<void>;
}

export const DEFAULT_TOP_N = 50;

export type LayerState = LayerInfo & { disjoint: boolean | null };

/**
 * Current version and title of the layers the rules look at, and whether that version is verified
 * disjoint (null: not verified), as one jsonb array. A layer never written (version 0: created,
 * never uploaded) or restored to its version 0 is left out: its rules are then skipped as
 * unverified, never passed for a layer nobody loaded (found by a review). A layer whose current
 * version was written and holds no features is the data saying "none" — the plan lists no
 * exploration right — and its rules are checked (found by a walkthrough: every exploration check
 * came out 需论证 for want of exploration rights that do not exist).
 */
function layerStateSql(rules: readonly Rule[]): RawBuilder<LayerState[] | string | null> {
  const ids = [...new Set(rules.map(ruleLayer).filter((l): l is string => l !== null)), ''];
  return sql`(select jsonb_agg(jsonb_build_object('id', l.id, 'title', l.title, 'version', l.version, 'disjoint', c.disjoint))
    from layers l left join check_layer_coverage c on c.layer_id = l.id and c.version = l.version
    where l.id in (${sql.join(ids)}) and (exists (select 1 from features f where f.layer_id = l.id and f.valid_to is null)
      or exists (select 1 from layer_versions v where v.layer_id = l.id and v.version = l.version and l.version > 0 and v.restored_from is distinct from 0)))`;
}

function layerMap(v: LayerState[] | string | null): Map<string, LayerState> {
  const list: LayerState[] = (typeof v === 'string' ? (JSON.parse(v) as LayerState[]) : v) ?? [];
  return new Map(list.map((l): [string, LayerState] => [l.id, l]));
}

export async function loadLayerInfo(db: Kysely<Schema>, rules: readonly Rule[]): Promise<Map<string, LayerState>> {
  const r = await sql<{ v: LayerState[] | string | null }>`select ${layerStateSql(rules)} as v`.execute(db);
  return layerMap(r.rows[0].v);
}

export async function runCheck(db: Kysely<Schema>, input: CheckInput, options: CheckOptions): Promise<CheckReport> {
  // 4xx for a bad file, 413/422 for a bad geometry: all before touching the database
  let blockSource = input.source;
  let name = input.name;
  if (blockSource.kind === 'shapefile') {
    const read = await readShapefileBlock(blockSource, options.zipLimits ?? shapefileLimits(blockSource.bytes.length, options.maxVertices));
    blockSource = read.source;
    name ??= read.name;
  }
  const source = readSourceGeometry(blockSource, options.maxVertices);
  const rules = options.rules ?? RULES;
  const topN = options.topN ?? DEFAULT_TOP_N;
  const id = crypto.randomUUID();
  let unverified: string[] = [];
  const report = await db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    // one round trip: JIT off for the transaction, the block, the layers' state
    const block = await buildBlock(trx, source, sql<LayerState[] | string | null>`(select ${layerStateSql(rules)} from (select set_config('jit', 'off', true)) jit)`);
    const layers = layerMap(block.also);
    const disjoint = new Set([...layers.values()].filter((l) => l.disjoint === true && DISJOINT_LAYERS.includes(l.id)).map((l) => l.id));
    unverified = DISJOINT_LAYERS.filter((l) => layers.get(l)?.disjoint === null);
    const subject = { activity: input.activity, mineral: input.mineral, scale: input.scale, ewkb: block.ewkb, areaM2: block.areaM2 };
    const { findings, skipped, passed, unverifiedVerdicts } = await evaluateRules(rules, { db: trx, subject, layers, scales: options.scales ?? minimumScales(), topN, checkId: id, disjoint });
    const verdict = worstVerdict([...findings.map((f) => f.verdict), ...unverifiedVerdicts]);
    const declaredM2 = source.declaredAreaHa === null ? null : source.declaredAreaHa * 10_000;
    const used = new Set(findings.map((f) => f.layer).concat(rules.map(ruleLayer)));
    const report: CheckReport = {
      id,
      createdAt: new Date().toISOString(),
      createdBy: options.actor,
      name,
      activity: input.activity,
      activityLabel: ACTIVITY_LABELS[input.activity],
      mineral: input.mineral,
      scale: input.scale,
      input: {
        format: source.format,
        crs: source.crsLabel,
        vertexCount: source.vertexCount,
        repaired: block.repaired,
        declaredArea: declaredM2 === null ? null : areaFigures(declaredM2),
        declaredDifferenceM2: declaredM2 === null ? null : Math.round((block.areaM2 - declaredM2) * 100) / 100,
      },
      block: { area: areaFigures(block.areaM2), bbox: block.bbox },
      verdict,
      verdictLabel: VERDICT_LABELS[verdict],
      findings,
      warnings: block.warnings,
      skippedRules: skipped,
      passedRules: passed,
      layerVersions: Object.fromEntries([...layers.values()].filter((l) => used.has(l.id)).map((l) => [l.id, l.version])),
      rulesVersion: RULES_DOCUMENT.version,
      links: { self: `/api/checks/${id}`, overlaps: `/api/checks/${id}/overlaps.geojson`, html: `/api/checks/${id}/report.html` },
    };
    // the spatial statement already wrote the pieces; their foreign key is checked at commit
    await insertCheck(trx, report, block.ewkb, options.role);
    await options.afterStore?.(trx, report);
    return report;
  });
  if (unverified.length && (options.verifyCoverage ?? 'background') === 'background') void verifyInBackground(db, unverified, options.onCoverageError);
  return report;
}

/** For tests and the benchmark: count stored checks. */
export async function countChecks(db: Kysely<Schema>): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from checks`.execute(db);
  return r.rows[0].n;
}
