/**
 * Conflict rules are data (rules.json, served at GET /api/rules); this file types them, checks
 * them once at load, and reads the plan's minimum-scale indicators (data/indicators.json, else
 * the illustrative fallback in rules.json). Layer ids in rules are checked against the contract
 * list, so SQL only ever sees layer ids from here, never from a request.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// Read with fs rather than a JSON import: the same code runs under tsx, vitest and tsc without import attributes.
const rulesFile = JSON.parse(fs.readFileSync(path.join(HERE, 'rules.json'), 'utf8')) as {
  version: number;
  description: string;
  layers?: Record<string, unknown>;
  minimumScaleFallback: unknown[];
  rules: unknown[];
};

export const ACTIVITIES = ['exploration', 'mining'] as const;
export type Activity = (typeof ACTIVITIES)[number];
export const MINERALS = ['地热', '矿泉水', '建筑用砂', '陶粒页岩', '砖瓦用粘土'] as const;

export type Verdict = 'prohibited' | 'review' | 'notice' | 'pass';
/** Worst first; the overall verdict is the first one any finding has. */
export const VERDICT_ORDER: Verdict[] = ['prohibited', 'review', 'notice', 'pass'];
export const VERDICT_LABELS: Record<Verdict, string> = { prohibited: '禁止', review: '需论证', notice: '提示', pass: '符合' };

export const LAYER_IDS = [
  'admin-county', 'admin-townships', 'key-exploration-zones', 'key-mining-zones', 'key-development-areas',
  'exploration-blocks', 'mining-blocks', 'mining-rights', 'exploration-rights', 'ecological-redline',
  'permanent-farmland', 'cultivated-land', 'urban-boundary',
] as const;

interface RuleBase {
  id: string;
  verdict: Exclude<Verdict, 'pass'>;
  title: string;
  citation: string;
  /** Chinese message template, see rules.json description for placeholders */
  message: string;
  appliesTo?: { activity?: Activity[]; mineral?: string[] };
  /** in the plan audit, only features of these planning layers are judged by this rule */
  auditLayers?: string[];
}
/** Hit when the block overlaps current features of `layer` (area > MIN_OVERLAP_M2). */
export interface OverlapRule extends RuleBase { kind: 'overlap'; layer: string }
/**
 * Hit when part of the block lies outside the union of `layer`'s features (optionally only those
 * whose `match.property` equals the request's `match.equals` field). `outside` is the same test
 * for administrative boundaries; both report the piece outside.
 */
export interface ContainmentRule extends RuleBase {
  kind: 'containment' | 'outside';
  layer: string;
  match?: { property: string; equals: 'mineral' };
  reportOutside?: boolean;
}
/** Hit when a request attribute compares badly with a plan indicator (minimum scale). */
export interface AttributeRule extends RuleBase { kind: 'attribute'; source: 'minimumScale'; level: 'large' | 'medium' | 'small' }
export type Rule = OverlapRule | ContainmentRule | AttributeRule;
export type SpatialRule = OverlapRule | ContainmentRule;

export interface MinimumScale {
  mineral: string;
  unit: string;
  large: number;
  medium: number;
  small: number;
  illustrative?: boolean;
  source?: string;
}

/** Overlaps below this (m², ellipsoidal) are shared edges and float noise, not conflicts. */
export const MIN_OVERLAP_M2 = 0.01;

function validateRules(raw: unknown[]): Rule[] {
  const ids = new Set<string>();
  return raw.map((r, i) => {
    const rule = r as Rule;
    const where = `rules.json rules[${i}] (${rule.id})`;
    if (!rule.id || ids.has(rule.id)) throw new Error(`${where}: missing or duplicate id`);
    ids.add(rule.id);
    if (!['overlap', 'containment', 'outside', 'attribute'].includes(rule.kind)) throw new Error(`${where}: unknown kind ${rule.kind}`);
    if (!['prohibited', 'review', 'notice'].includes(rule.verdict)) throw new Error(`${where}: bad verdict ${rule.verdict}`);
    if (rule.kind !== 'attribute' && !(LAYER_IDS as readonly string[]).includes(rule.layer)) throw new Error(`${where}: unknown layer ${rule.layer}`);
    for (const a of rule.appliesTo?.activity ?? []) if (!(ACTIVITIES as readonly string[]).includes(a)) throw new Error(`${where}: bad activity ${a}`);
    return Object.freeze(rule);
  });
}

export const RULES: readonly Rule[] = Object.freeze(validateRules(rulesFile.rules));

/** Traits of a layer the rules read (rules.json `layers`). */
export interface LayerTraits {
  /** declared a polygon coverage: pieces are summed, not unioned, once PostGIS has verified it (coverage.ts) */
  disjoint?: boolean;
  why?: string;
}

function validateLayerTraits(raw: Record<string, unknown> | undefined): Readonly<Record<string, LayerTraits>> {
  const out: Record<string, LayerTraits> = {};
  for (const [id, v] of Object.entries(raw ?? {})) {
    if (id === 'description') continue;
    if (!(LAYER_IDS as readonly string[]).includes(id)) throw new Error(`rules.json layers: unknown layer ${id}`);
    const t = v as LayerTraits;
    if (typeof t !== 'object' || t === null || (t.disjoint !== undefined && typeof t.disjoint !== 'boolean')) throw new Error(`rules.json layers.${id}: disjoint must be true or false`);
    out[id] = Object.freeze({ ...t });
  }
  return Object.freeze(out);
}

export const LAYER_TRAITS = validateLayerTraits(rulesFile.layers);
/** Layers declared disjoint (polygon coverages) in rules.json. */
export const DISJOINT_LAYERS: readonly string[] = Object.freeze(Object.keys(LAYER_TRAITS).filter((id) => LAYER_TRAITS[id].disjoint));

export const RULES_DOCUMENT = Object.freeze({ version: rulesFile.version, description: rulesFile.description, verdicts: VERDICT_LABELS, layers: rulesFile.layers ?? {}, rules: RULES });

/** Does the rule apply to this activity and mineral? */
export function ruleApplies(rule: Rule, activity: Activity, mineral: string | null): boolean {
  const a = rule.appliesTo;
  if (a?.activity && !a.activity.includes(activity)) return false;
  if (a?.mineral && (mineral === null || !a.mineral.includes(mineral))) return false;
  return true;
}

export function worstVerdict(verdicts: Verdict[]): Verdict {
  return VERDICT_ORDER.find((v) => verdicts.includes(v)) ?? 'pass';
}

/** Fill {placeholders}; unknown ones stay visible rather than silently vanish. */
export function fillTemplate(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m));
}

const INDICATORS_FILE = path.resolve(HERE, '../../data/indicators.json');
let indicatorCache: MinimumScale[] | undefined;

/**
 * Minimum mining scale per mineral (专栏10). Read defensively from data/indicators.json (another
 * part of the project writes it); anything malformed there falls back, row by row, to the
 * illustrative values in rules.json.
 */
export function minimumScales(file = INDICATORS_FILE): MinimumScale[] {
  if (indicatorCache && file === INDICATORS_FILE) return indicatorCache;
  const fallback = rulesFile.minimumScaleFallback as MinimumScale[];
  let fromFile: MinimumScale[] = [];
  try {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { minimumScale?: unknown };
    if (Array.isArray(doc.minimumScale)) {
      fromFile = doc.minimumScale.filter(
        (m): m is MinimumScale =>
          typeof m?.mineral === 'string' && typeof m?.unit === 'string' && ['large', 'medium', 'small'].every((k) => typeof m[k] === 'number' && Number.isFinite(m[k])),
      );
    }
  } catch {
    // absent or unreadable: the fallback is the documented behaviour
  }
  const merged = [...fromFile, ...fallback.filter((f) => !fromFile.some((m) => m.mineral === f.mineral))];
  if (file === INDICATORS_FILE) indicatorCache = merged;
  return merged;
}

/** '万吨/年', '万吨', '万t/a' compare equal: production units are per year by definition. */
export function sameScaleUnit(a: string, b: string): boolean {
  const norm = (u: string) => u.replace(/\s/g, '').replace(/(\/|每)(年|a|yr|year)$/i, '').replace(/t$/i, '吨').replace(/m3$|m³$/i, '立方米');
  return norm(a) === norm(b);
}
