/**
 * Dataset invariants as plain functions, so the vitest file, the generator's self-check and a
 * later shared DB harness can all call them. SQL ones take any `SqlClient` on a database where
 * `loadDataset` has created the `ds_*` tables; pure ones take parsed FeatureCollections.
 * Areas are ellipsoidal (geography, WGS84 ≈ CGCS2000), in m² unless named otherwise.
 */
import type { Feature, FeatureCollection, Position } from 'geojson';
import type { LayerDef } from './catalog.ts';
import type { SqlClient } from './db.ts';
import { signedArea, type Pt } from './planar.ts';
import { tableName } from './pg-tables.ts';

const T = tableName;

export async function countyAreaKm2(db: SqlClient): Promise<number> {
  const r = await db.query<{ a: number }>(`SELECT sum(ST_Area(geom::geography)) / 1e6 AS a FROM ${T('admin-county')}`);
  return Number(r.rows[0].a);
}

export interface CoverageReport {
  count: number;
  codes: string[];
  countyAreaM2: number;
  unionAreaM2: number;
  sumAreaM2: number;
  /** |union − county| / county */
  unionRelDiff: number;
  /** Largest pairwise intersection area between two townships. */
  maxPairOverlapM2: number;
  /** Area of the county not covered by any township plus township area outside the county. */
  gapOrSpillM2: number;
  /** Edges GEOS flags as not matching their neighbour exactly (ST_CoverageInvalidEdges). */
  invalidEdges: number;
}

export async function townshipCoverage(db: SqlClient): Promise<CoverageReport> {
  const tw = T('admin-townships'), c = T('admin-county');
  const base = await db.query<{ n: number; codes: string[]; u: number; s: number; ca: number; gap: number }>(`
    WITH u AS (SELECT ST_Union(geom) g FROM ${tw}), county AS (SELECT ST_Union(geom) g FROM ${c})
    SELECT (SELECT count(*) FROM ${tw})::int n,
           (SELECT array_agg(props->>'code' ORDER BY props->>'code') FROM ${tw}) codes,
           ST_Area(u.g::geography) u,
           (SELECT sum(ST_Area(geom::geography)) FROM ${tw}) s,
           ST_Area(county.g::geography) ca,
           COALESCE(ST_Area(ST_SymDifference(u.g, county.g)::geography), 0) gap
    FROM u, county`);
  const pair = await db.query<{ m: number | null }>(`
    SELECT max(ST_Area(ST_Intersection(a.geom, b.geom)::geography)) m
    FROM ${tw} a JOIN ${tw} b ON a.id < b.id AND ST_Intersects(a.geom, b.geom)`);
  const inv = await db.query<{ n: number }>(`
    SELECT count(*)::int n FROM (SELECT ST_CoverageInvalidEdges(geom) OVER () e FROM ${tw}) s WHERE e IS NOT NULL`);
  const r = base.rows[0];
  return {
    count: r.n, codes: r.codes, countyAreaM2: Number(r.ca), unionAreaM2: Number(r.u), sumAreaM2: Number(r.s),
    unionRelDiff: Math.abs(Number(r.u) - Number(r.ca)) / Number(r.ca),
    maxPairOverlapM2: Number(pair.rows[0].m ?? 0), gapOrSpillM2: Number(r.gap), invalidEdges: inv.rows[0].n,
  };
}

/** Ids of features that fail ST_IsValid, per layer. */
export async function invalidFeatures(db: SqlClient, layerIds: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of layerIds) {
    const r = await db.query<{ id: string }>(`SELECT id FROM ${T(id)} WHERE NOT ST_IsValid(geom) ORDER BY id`);
    out.push(...r.rows.map((x) => `${id}:${x.id}`));
  }
  return out;
}

/** Features with more than `tolM2` of area outside the county, as `layer:id`. */
export async function featuresOutsideCounty(db: SqlClient, layerIds: readonly string[], tolM2 = 1): Promise<string[]> {
  const out: string[] = [];
  for (const id of layerIds) {
    if (id === 'admin-county') continue;
    const r = await db.query<{ id: string }>(`
      WITH county AS (SELECT ST_Union(geom) g FROM ${T('admin-county')})
      SELECT f.id FROM ${T(id)} f, county
      WHERE NOT ST_CoveredBy(f.geom, county.g) AND ST_Area(ST_Difference(f.geom, county.g)::geography) > $1
      ORDER BY f.id`, [tolM2]);
    out.push(...r.rows.map((x) => `${id}:${x.id}`));
  }
  return out;
}

/** Pairs of features of one layer whose intersection has positive area (> tolM2), optionally on a sample of ids. */
export async function overlappingPairs(db: SqlClient, layerId: string, opts: { tolM2?: number; sampleEvery?: number } = {}): Promise<[string, string][]> {
  const t = T(layerId);
  const every = opts.sampleEvery ?? 1;
  const r = await db.query<{ a: string; b: string }>(`
    WITH s AS (SELECT id, geom FROM (SELECT id, geom, row_number() OVER (ORDER BY id) rn FROM ${t}) x WHERE rn % $1 = 0)
    SELECT s.id a, f.id b FROM s JOIN ${t} f ON f.id <> s.id AND ST_Intersects(s.geom, f.geom)
    WHERE ST_Area(ST_Intersection(s.geom, f.geom)::geography) > $2
    ORDER BY 1, 2`, [every, opts.tolM2 ?? 0.01]);
  return r.rows.map((x) => [x.a, x.b]);
}

export async function layerAreaM2(db: SqlClient, layerId: string): Promise<number> {
  const r = await db.query<{ a: number | null }>(`SELECT sum(ST_Area(geom::geography)) a FROM ${T(layerId)}`);
  return Number(r.rows[0].a ?? 0);
}

// ---- pure checks ---------------------------------------------------------------------------

export function duplicateIds(fc: FeatureCollection): string[] {
  const seen = new Set<string>(), dup: string[] = [];
  for (const f of fc.features) {
    const id = String(f.id);
    if (typeof f.id !== 'string') dup.push(`non-string id ${id}`);
    if (seen.has(id)) dup.push(id);
    seen.add(id);
  }
  return dup;
}

function ringsOf(f: Feature): Position[][][] {
  const g = f.geometry;
  if (g.type === 'Polygon') return [g.coordinates];
  if (g.type === 'MultiPolygon') return g.coordinates;
  return [];
}

/** RFC 7946 form: outer rings CCW, holes CW, rings closed, at most `decimals` decimals. */
export function geometryFormProblems(fc: FeatureCollection, decimals = 7): string[] {
  const out: string[] = [];
  const f10 = 10 ** decimals;
  for (const f of fc.features) {
    for (const poly of ringsOf(f)) {
      poly.forEach((ring, i) => {
        const first = ring[0], last = ring[ring.length - 1];
        if (first[0] !== last[0] || first[1] !== last[1]) out.push(`${f.id}: ring not closed`);
        const a = signedArea(ring.slice(0, -1) as Pt[]);
        if (i === 0 ? a <= 0 : a >= 0) out.push(`${f.id}: ring ${i} has the wrong orientation`);
        for (const p of ring) {
          if (Math.abs(Math.round(p[0] * f10) / f10 - p[0]) > 1e-12 || Math.abs(Math.round(p[1] * f10) / f10 - p[1]) > 1e-12) {
            out.push(`${f.id}: more than ${decimals} decimals`);
            break;
          }
        }
      });
    }
  }
  return out;
}

/** Properties present vs the catalog's attribute list (names, required-ness, types). */
export function attributeProblems(layer: LayerDef, fc: FeatureCollection): string[] {
  const out: string[] = [];
  const defs = new Map(layer.attributes.map((a) => [a.name, a]));
  const seen = new Set<string>();
  for (const f of fc.features) {
    if (f.geometry.type !== layer.geometryType) out.push(`${layer.id}:${f.id}: geometry ${f.geometry.type}`);
    const props = f.properties ?? {};
    for (const [k, v] of Object.entries(props)) {
      seen.add(k);
      const d = defs.get(k);
      if (!d) { out.push(`${layer.id}:${f.id}: undeclared property ${k}`); continue; }
      if (v === null || v === undefined) continue;
      const ok = d.type === 'string' ? typeof v === 'string'
        : d.type === 'number' ? typeof v === 'number'
        : d.type === 'integer' ? Number.isInteger(v)
        : d.type === 'boolean' ? typeof v === 'boolean'
        : typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v);
      if (!ok) out.push(`${layer.id}:${f.id}: ${k}=${JSON.stringify(v)} is not ${d.type}`);
    }
    for (const d of layer.attributes) if (d.required && (props[d.name] === undefined || props[d.name] === null)) out.push(`${layer.id}:${f.id}: missing ${d.name}`);
  }
  if (fc.features.length > 0) for (const d of layer.attributes) if (!seen.has(d.name)) out.push(`${layer.id}: attribute ${d.name} never present`);
  return out;
}
