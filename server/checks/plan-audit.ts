/**
 * 规划一致性审查: every current feature of the planning layers judged against the same rules
 * as a proposed block, set-based — one query for all overlap rules over all planning features,
 * one query per containment rule — never a round trip per feature. Activity and mineral come
 * from the feature (its layer, its `mineral` attribute). Attribute rules (numeric scale) do not
 * apply: the layers carry 大/中/小, not a design output.
 */
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { areaFigures, areaSql, type AreaFigures } from './areas.js';
import { loadLayerInfo } from './check-service.js';
import { storedCoverage, verifyDeclaredCoverage, verifyInBackground, type CoverageVerdict } from './coverage.js';
import type { FeatureHit } from './overlap-query.js';
import { ruleLayer, toFinding, type Finding, type SkippedRule } from './rule-evaluation.js';
import { DISJOINT_LAYERS, MIN_OVERLAP_M2, RULES, ruleApplies, VERDICT_LABELS, worstVerdict, type Activity, type ContainmentRule, type Rule, type Verdict } from './rules.js';

/** planning layer → the activity its features stand for */
export const PLANNING_LAYERS: Record<string, Activity> = {
  'exploration-blocks': 'exploration',
  'key-exploration-zones': 'exploration',
  'exploration-rights': 'exploration',
  'mining-blocks': 'mining',
  'key-mining-zones': 'mining',
  'key-development-areas': 'mining',
  'mining-rights': 'mining',
};

export interface AuditedFeature {
  layer: string;
  id: string;
  name: string;
  activity: Activity;
  mineral: string | null;
  /** ellipsoidal */
  area: AreaFigures;
  verdict: Verdict;
  verdictLabel: string;
  findings: Finding[];
}

export interface PlanAuditReport {
  createdAt: string;
  verdict: Verdict;
  verdictLabel: string;
  summary: { features: number; byVerdict: Record<Verdict, number> };
  layerVersions: Record<string, number>;
  /** the declared coverages (rules.json layers.*.disjoint) at their current versions; pending: being verified */
  coverage: (CoverageVerdict | { layer: string; version: number; disjoint: null; pending: true })[];
  /** rules whose layer is not loaded: not checked; a feature such a prohibiting or review rule applies to is at least review */
  skippedRules: SkippedRule[];
  features: AuditedFeature[];
}

interface Subject { layer_id: string; fid: string; name: string; mineral: string | null; area: number }
const key = (layer: string, fid: string) => `${layer}\u0000${fid}`;

/** Applies to features of `layer`? Same activity/mineral filters as a check, plus auditLayers. */
function appliesInAudit(rule: Rule, layer: string, mineral: string | null): boolean {
  if (rule.kind === 'attribute') return false;
  if (rule.auditLayers && !rule.auditLayers.includes(layer)) return false;
  if (rule.kind !== 'overlap' && rule.layer === layer) return false; // a block is not "outside its own layer"
  return ruleApplies(rule, PLANNING_LAYERS[layer], mineral);
}

export interface PlanAuditOptions {
  /**
   * Declared coverages not yet verified at their current version: 'background' (default) lists
   * them as pending (`disjoint: null`), unions their pieces and starts the verification; 'await'
   * verifies them first (a 24,000-parcel layer: ~2 s on PostgreSQL, ~8 s on PGlite).
   */
  coverage?: 'background' | 'await';
  onCoverageError?: (err: unknown) => void;
}

export async function runPlanAudit(db: Kysely<Schema>, rules: readonly Rule[] = RULES, topN = 20, options: PlanAuditOptions = {}): Promise<PlanAuditReport> {
  // Declared coverages are verified once per layer version and kept: the audit reports them, and
  // a verified layer's pieces are summed instead of unioned below.
  const loaded = await loadLayerInfo(db, rules);
  const declared = DISJOINT_LAYERS.filter((l) => loaded.has(l));
  const unverified = declared.filter((l) => loaded.get(l)?.disjoint === null);
  if (unverified.length && options.coverage === 'await') await verifyDeclaredCoverage(db, unverified);
  else if (unverified.length) void verifyInBackground(db, unverified, options.onCoverageError);
  return db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    await sql`select set_config('jit', 'off', true)`.execute(trx);
    const layers = await loadLayerInfo(trx, rules);
    const disjoint = [...layers.values()].filter((l) => l.disjoint === true && DISJOINT_LAYERS.includes(l.id)).map((l) => l.id);
    const verified = await storedCoverage(trx, declared);
    const coverage: PlanAuditReport['coverage'] = declared.flatMap((l) => {
      const info = layers.get(l);
      if (!info) return [];
      return [verified.get(l) ?? { layer: l, version: info.version, disjoint: null, pending: true }];
    });
    const summed = sql`(${sql.join([...disjoint, ''])})`;
    const planning = Object.keys(PLANNING_LAYERS).filter((l) => layers.has(l));
    const subjects = planning.length
      ? (await sql<Subject>`
          select layer_id, fid, coalesce(properties->>'name', properties->>'code', fid) as name, properties->>'mineral' as mineral, ${areaSql(sql.ref('geom'))} as area
          from features where layer_id in (${sql.join(planning)}) and valid_to is null order by layer_id, fid`.execute(trx)).rows
      : [];
    const findings = new Map<string, Finding[]>(subjects.map((s) => [key(s.layer_id, s.fid), []]));
    const bySubject = new Map(subjects.map((s) => [key(s.layer_id, s.fid), s]));
    const add = (s: Subject, rule: Rule, hit: { areaM2: number; count: number; top: FeatureHit[]; measure: 'overlap' | 'outside' }) =>
      findings.get(key(s.layer_id, s.fid))!.push(toFinding(rule, hit, { mineral: s.mineral ?? '', areaM2: s.area }, layers.get((rule as ContainmentRule).layer)!));

    // 1. All overlap rules at once: planning feature × constraint feature, grouped per (feature, layer).
    const overlapRules = rules.filter((r): r is Extract<Rule, { kind: 'overlap' }> => r.kind === 'overlap' && layers.has(r.layer));
    const overlapLayers = [...new Set(overlapRules.map((r) => r.layer))];
    if (planning.length && overlapLayers.length) {
      const rows = await sql<{ pl: string; pf: string; cl: string; n: number; area: number; top: FeatureHit[] }>`
        with p as materialized (select layer_id, fid, geom, geom_3857 from features where layer_id in (${sql.join(planning)}) and valid_to is null),
        pairs as materialized (
          select p.layer_id as pl, p.fid as pf, c.layer_id as cl, c.fid as cf, coalesce(c.properties->>'name', c.properties->>'code', c.fid) as cname,
                 -- a constraint feature inside the planning feature is its own piece (no clipping)
                 case when ST_Covers(p.geom, c.geom) then c.geom else ST_CollectionExtract(ST_Intersection(p.geom, c.geom), 3) end as piece
          from p join features c on c.geom_3857 && p.geom_3857 and ST_Intersects(p.geom, c.geom)
          where c.layer_id in (${sql.join(overlapLayers)}) and c.valid_to is null and not (c.layer_id = p.layer_id and c.fid = p.fid)
        ),
        m as materialized (select pairs.*, ${areaSql(sql.ref('piece'))} as a from pairs),
        k as (select m.*, row_number() over (partition by pl, pf, cl order by a desc, cf) as rn from m where a > ${MIN_OVERLAP_M2})
        -- a verified coverage's pieces add up; otherwise their union is measured
        select pl, pf, cl, count(*)::int as n,
               case when cl in ${summed} or count(*) = 1 then sum(a) else ${areaSql(sql`ST_UnaryUnion(ST_Collect(piece))`)} end as area,
               jsonb_agg(jsonb_build_object('fid', cf, 'name', cname, 'areaM2', a) order by rn) filter (where rn <= ${topN}) as top
        from k group by pl, pf, cl`.execute(trx);
      for (const r of rows.rows) {
        const s = bySubject.get(key(r.pl, r.pf))!;
        for (const rule of overlapRules.filter((x) => x.layer === r.cl && appliesInAudit(x, r.pl, s.mineral))) {
          add(s, rule, { measure: 'overlap', areaM2: r.area, count: r.n, top: r.top });
        }
      }
    }

    // 2. One query per containment rule, over every planning feature it applies to.
    for (const rule of rules.filter((r): r is ContainmentRule => (r.kind === 'containment' || r.kind === 'outside') && layers.has(r.layer))) {
      const targets = subjects.filter((s) => appliesInAudit(rule, s.layer_id, s.mineral));
      const targetLayers = [...new Set(targets.map((t) => t.layer_id))];
      if (!targetLayers.length) continue;
      const match = rule.match ? sql`and c.properties->>${rule.match.property} = p.properties->>'mineral'` : sql``;
      const sum = DISJOINT_LAYERS.includes(rule.layer) && disjoint.includes(rule.layer);
      const rows = await sql<{ layer_id: string; fid: string; n: number; outside: number; top: FeatureHit[] | null }>`
        with p as materialized (select layer_id, fid, properties, geom, geom_3857, ${areaSql(sql.ref('geom'))} as area from features where layer_id in (${sql.join(targetLayers)}) and valid_to is null),
        pieces as materialized (
          select p.layer_id, p.fid, c.fid as cf, coalesce(c.properties->>'name', c.fid) as cname,
                 w.whole, case when w.whole then p.geom else ST_CollectionExtract(ST_Intersection(p.geom, c.geom), 3) end as piece
          from p join features c on c.layer_id = ${rule.layer} and c.valid_to is null ${match} and c.geom_3857 && p.geom_3857 and ST_Intersects(p.geom, c.geom)
          cross join lateral (select ST_Covers(c.geom, p.geom) as whole) w
        ),
        m as materialized (
          -- a piece that is the whole planning feature has the feature's own area
          select pieces.*, case when pieces.whole then p.area else ${areaSql(sql.ref('piece'))} end as a
          from pieces join p using (layer_id, fid)
        ),
        ins as (select layer_id, fid, count(*)::int as n,
                  case when ${sum ? sql`true` : sql`false`} or count(*) = 1 then sum(a) else ${areaSql(sql`ST_UnaryUnion(ST_Collect(piece))`)} end as inside,
                  jsonb_agg(jsonb_build_object('fid', cf, 'name', cname, 'areaM2', a) order by a desc) as top
                from m where a > ${MIN_OVERLAP_M2} group by layer_id, fid)
        select p.layer_id, p.fid, coalesce(ins.n, 0) as n, ins.top, p.area - coalesce(ins.inside, 0) as outside
        from p left join ins on ins.layer_id = p.layer_id and ins.fid = p.fid`.execute(trx);
      for (const r of rows.rows) {
        const s = bySubject.get(key(r.layer_id, r.fid))!;
        if (r.outside > MIN_OVERLAP_M2 && appliesInAudit(rule, s.layer_id, s.mineral)) add(s, rule, { measure: 'outside', areaM2: r.outside, count: r.n, top: (r.top ?? []).slice(0, topN) });
      }
    }

    // rules that could not be checked (as in a check: never 符合 for what was not checked)
    const unchecked = rules.filter((r) => r.kind !== 'attribute' && !layers.has(r.layer));
    const skippedRules: SkippedRule[] = unchecked.map((r) => ({ ruleId: r.id, reason: `图层 ${ruleLayer(r)} 未加载，规则未检查 (layer not loaded; rule not checked)`, unverified: true }));
    const features: AuditedFeature[] = subjects.map((s) => {
      const f = findings.get(key(s.layer_id, s.fid))!;
      const unverified = unchecked.some((r) => (r.verdict === 'prohibited' || r.verdict === 'review') && appliesInAudit(r, s.layer_id, s.mineral));
      const verdict = worstVerdict([...f.map((x) => x.verdict), ...(unverified ? (['review'] as const) : [])]);
      return { layer: s.layer_id, id: s.fid, name: s.name, activity: PLANNING_LAYERS[s.layer_id], mineral: s.mineral, area: areaFigures(s.area), verdict, verdictLabel: VERDICT_LABELS[verdict], findings: f };
    });
    const byVerdict = { prohibited: 0, review: 0, notice: 0, pass: 0 } as Record<Verdict, number>;
    for (const f of features) byVerdict[f.verdict]++;
    const verdict = worstVerdict(features.map((f) => f.verdict));
    return {
      createdAt: new Date().toISOString(),
      verdict,
      verdictLabel: VERDICT_LABELS[verdict],
      summary: { features: features.length, byVerdict },
      layerVersions: Object.fromEntries([...layers.values()].map((l) => [l.id, l.version])),
      coverage,
      skippedRules,
      features,
    };
  });
}
