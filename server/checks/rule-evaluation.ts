/**
 * Rule evaluation, generic over rule kinds: one handler per kind (overlap, containment/outside,
 * attribute) turns a rule into a Hit or nothing; toFinding turns any Hit into the report's
 * finding (areas in m²/ha/亩, share, features, citation, Chinese message). All spatial rules
 * (overlap and containment alike) are answered by ONE statement (overlap-query.ts), whatever
 * their number, which also stores the findings' pieces when the check is to be kept.
 */
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { BadRequestError } from '../errors.js';
import { areaFigures, sharePercent, type AreaFigures } from './areas.js';
import { querySpatial, type FeatureHit, type SpatialRequest, type SpatialResult } from './overlap-query.js';
import {
  fillTemplate, ruleApplies, sameScaleUnit, VERDICT_LABELS,
  type Activity, type AttributeRule, type ContainmentRule, type MinimumScale, type OverlapRule, type Rule, type Verdict,
} from './rules.js';

export interface Subject {
  activity: Activity;
  mineral: string;
  scale: { value: number; unit: string } | null;
  /** hex EWKB, EPSG:4490 */
  ewkb: string;
  /** m², ellipsoidal */
  areaM2: number;
}

export interface LayerInfo { id: string; title: string; version: number }

/** What a handler found. Areas m², ellipsoidal (the pieces themselves stay in the database). */
export interface Hit {
  measure: 'overlap' | 'outside' | 'attribute';
  areaM2: number | null;
  count: number;
  top: FeatureHit[];
  values?: Record<string, string | number>;
  details?: Record<string, unknown>;
  /** the finding's verdict when it is not the rule's (a threshold the plan does not publish) */
  verdict?: Exclude<Verdict, 'pass'>;
  /** said after the rule's message */
  note?: string;
}

export interface FindingFeature { id: string; name: string; area: AreaFigures; sharePercent: number }

export interface Finding {
  ruleId: string;
  kind: Rule['kind'];
  layer: string | null;
  layerTitle: string | null;
  layerVersion: number | null;
  verdict: Exclude<Verdict, 'pass'>;
  verdictLabel: string;
  title: string;
  measure: Hit['measure'];
  area: AreaFigures | null;
  sharePercent: number | null;
  featureCount: number;
  /** the largest `featuresShown` of `featureCount` features */
  features: FindingFeature[];
  featuresShown: number;
  citation: string;
  message: string;
  details?: Record<string, unknown>;
}

/** `unverified`: the rule could not be checked for want of data (a layer, the scale), not because it does not apply */
export type Outcome = { hit: Hit } | { skipped: string; unverified: boolean } | null;
/** a rule that applied, was checked, and found nothing: the report's positive record */
export interface PassedRule {
  ruleId: string;
  title: string;
  layer: string | null;
  layerTitle: string | null;
  layerVersion: number | null;
  citation: string;
}

export interface SkippedRule {
  ruleId: string;
  reason: string;
  /** true: the rule applies and was not checked; for a prohibiting or review rule the overall verdict is then at least 需论证 (review) */
  unverified: boolean;
}

export interface EvalContext {
  db: Kysely<Schema>;
  subject: Subject;
  layers: Map<string, LayerInfo>;
  scales: MinimumScale[];
  topN: number;
  /** store the findings' pieces under this check id (null: plan audit, dry runs) */
  checkId: string | null;
  /** layers verified disjoint at their current version (coverage.ts) */
  disjoint: ReadonlySet<string>;
  /** every spatial rule that applies, answered together on first use */
  spatial(): Promise<Map<string, SpatialResult>>;
}

type Handler<R extends Rule> = (rule: R, ctx: EvalContext) => Promise<Outcome>;

const overlap: Handler<OverlapRule> = async (rule, ctx) => {
  const o = (await ctx.spatial()).get(rule.id);
  return o?.hit ? { hit: { measure: 'overlap', areaM2: o.areaM2, count: o.count, top: o.top } } : null;
};

const containment: Handler<ContainmentRule> = async (rule, ctx) => {
  const c = (await ctx.spatial()).get(rule.id);
  return c?.hit ? { hit: { measure: 'outside', areaM2: c.areaM2, count: c.count, top: c.top } } : null;
};

const attribute: Handler<AttributeRule> = async (rule, ctx) => {
  const { scale, mineral } = ctx.subject;
  const min = ctx.scales.find((m) => m.mineral === mineral);
  if (!min) return { skipped: `规划未规定${mineral}最低开采规模 (no minimum scale for ${mineral})`, unverified: false };
  if (!scale) return { skipped: `未提供开采规模，未检查最低开采规模（${mineral} ${min[rule.level]} ${min.unit}） (no scale given)`, unverified: true };
  if (!sameScaleUnit(scale.unit, min.unit)) {
    throw new BadRequestError(`scale.unit 应为“${min.unit}”（${mineral}最低开采规模的单位），而不是“${scale.unit}” (scale.unit must be ${min.unit})`, { parameter: 'scale.unit' });
  }
  const minimum = min[rule.level];
  if (scale.value >= minimum) {
    // at or above an illustrative figure the block is not thereby clear: the published minimum may
    // be higher — listed as not decided by the plan, never as passed (found by a review)
    return min.illustrative === true
      ? { skipped: `拟定规模 ${scale.value} ${min.unit} 不低于${mineral}最低开采规模示意值 ${minimum} ${min.unit}；规划专栏10以“**”隐去具体数值，未作为合规依据 (the plan does not publish the minimum; the illustrative one was not taken as proof)`, unverified: false }
      : null;
  }
  // The plan prints its minimums as "**" (专栏10): an illustrative figure cannot prohibit — below it
  // the block needs the authority's figure, so 需论证, and the message says so (found by a
  // walkthrough: a 禁止 rested on a number the plan never published, said only in details)
  const illustrative = min.illustrative === true;
  return {
    hit: {
      measure: 'attribute', areaM2: null, count: 0, top: [],
      values: { value: scale.value, minimum, unit: min.unit },
      details: { value: scale.value, minimum, unit: min.unit, level: rule.level, illustrative, source: min.source ?? '专栏10' },
      ...(illustrative
        ? {
            verdict: rule.verdict === 'prohibited' ? ('review' as const) : rule.verdict,
            note: `此最低开采规模为示意值：规划专栏10以“**”隐去具体数值，须按主管部门核定的标准论证。`,
          }
        : {}),
    },
  };
};

const HANDLERS: { [K in Rule['kind']]: Handler<Extract<Rule, { kind: K }>> } = { overlap, containment, outside: containment, attribute };

export function ruleLayer(rule: Rule): string | null {
  return rule.kind === 'attribute' ? null : rule.layer;
}

/** The spatial question a rule asks, or null for attribute rules. */
export function spatialRequest(rule: Rule, subject: Pick<Subject, 'mineral'>, disjoint: ReadonlySet<string>): SpatialRequest | null {
  if (rule.kind === 'attribute') return null;
  const base = { ruleId: rule.id, verdict: rule.verdict, layer: rule.layer, disjoint: disjoint.has(rule.layer) };
  if (rule.kind === 'overlap') return { ...base, kind: 'overlap', match: null };
  return { ...base, kind: 'inside', match: rule.match ? { property: rule.match.property, value: subject[rule.match.equals] } : null };
}

/** Evaluate every applicable rule; rules whose layer is not loaded are reported as skipped. */
export async function evaluateRules(
  rules: readonly Rule[],
  base: Omit<EvalContext, 'spatial'>,
): Promise<{ findings: Finding[]; hits: Hit[]; skipped: SkippedRule[]; passed: PassedRule[]; unverifiedVerdicts: Verdict[] }> {
  const { subject, layers } = base;
  const applicable = rules.filter((r) => ruleApplies(r, subject.activity, subject.mineral));
  const requests = applicable.flatMap((r) => {
    const q = layers.has(ruleLayer(r) ?? '') ? spatialRequest(r, subject, base.disjoint) : null;
    return q ? [q] : [];
  });
  let pending: Promise<Map<string, SpatialResult>> | undefined;
  const ctx: EvalContext = {
    ...base,
    spatial: () => (pending ??= querySpatial(base.db, { blockEwkb: subject.ewkb, blockAreaM2: subject.areaM2, requests, topN: base.topN, storeFor: base.checkId })),
  };
  const findings: Finding[] = [];
  const hits: Hit[] = [];
  const skipped: SkippedRule[] = [];
  const passed: PassedRule[] = [];
  // an unchecked rule that could forbid or call for review makes the verdict at least review:
  // a report must never read 符合 (pass) for what it did not check (an unchecked notice stays listed)
  const unverifiedVerdicts: Verdict[] = [];
  const skip = (rule: Rule, reason: string, unverified: boolean) => {
    skipped.push({ ruleId: rule.id, reason, unverified });
    if (unverified && (rule.verdict === 'prohibited' || rule.verdict === 'review')) unverifiedVerdicts.push('review');
  };
  for (const rule of applicable) {
    const layer = ruleLayer(rule);
    if (layer && !layers.has(layer)) {
      skip(rule, `图层 ${layer} 未加载，规则未检查 (layer not loaded; rule not checked)`, true);
      continue;
    }
    const outcome = await (HANDLERS[rule.kind] as Handler<Rule>)(rule, ctx);
    if (outcome && 'skipped' in outcome) skip(rule, outcome.skipped, outcome.unverified);
    else if (outcome) {
      findings.push(toFinding(rule, outcome.hit, subject, layer ? layers.get(layer)! : null));
      hits.push(outcome.hit);
    } else {
      const info = layer ? layers.get(layer)! : null;
      passed.push({ ruleId: rule.id, title: rule.title, layer: info?.id ?? null, layerTitle: info?.title ?? null, layerVersion: info?.version ?? null, citation: rule.citation });
    }
  }
  return { findings, hits, skipped, passed, unverifiedVerdicts };
}

/** A Hit as the report states it. blockAreaM2: m², ellipsoidal. */
export function toFinding(rule: Rule, hit: Hit, subject: Pick<Subject, 'mineral' | 'areaM2'>, layer: LayerInfo | null): Finding {
  const area = hit.areaM2 === null ? null : areaFigures(hit.areaM2);
  const share = hit.areaM2 === null ? null : sharePercent(hit.areaM2, subject.areaM2);
  const values = {
    layerTitle: layer?.title ?? '', count: hit.count, mineral: subject.mineral,
    areaM2: area?.m2.toFixed(2) ?? '', areaHa: area?.ha.toFixed(4) ?? '', areaMu: area?.mu.toFixed(2) ?? '', share: share?.toFixed(2) ?? '',
    ...hit.values,
  };
  return {
    ruleId: rule.id,
    kind: rule.kind,
    layer: layer?.id ?? null,
    layerTitle: layer?.title ?? null,
    layerVersion: layer?.version ?? null,
    verdict: hit.verdict ?? rule.verdict,
    verdictLabel: VERDICT_LABELS[hit.verdict ?? rule.verdict],
    title: rule.title,
    measure: hit.measure,
    area,
    sharePercent: share,
    featureCount: hit.count,
    features: hit.top.map((f) => ({ id: f.fid, name: f.name, area: areaFigures(f.areaM2), sharePercent: sharePercent(f.areaM2, subject.areaM2) })),
    featuresShown: hit.top.length,
    citation: rule.citation,
    message: fillTemplate(rule.message, values) + (hit.note ?? ''),
    ...(hit.details ? { details: hit.details } : {}),
  };
}
