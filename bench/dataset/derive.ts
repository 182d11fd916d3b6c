/**
 * Attributes computed on the final (rounded, EPSG:4490) geometry in PostGIS: ellipsoidal areas,
 * the township of each parcel, the townships an urban boundary spans; and the safety filter
 * that drops any farmland parcel the 50 m mask let through onto a forbidden layer.
 */
import type { Feature } from 'geojson';
import type { Layers, FarmIndex } from './build-layers.ts';
import { idFor } from './build-layers.ts';
import { LAYERS } from './catalog.ts';
import type { SqlClient } from './db.ts';
import { loadFeatures, tableName as T } from './pg-tables.ts';

const AREA_KM2_LAYERS = ['admin-county', 'admin-townships', 'key-exploration-zones', 'key-mining-zones', 'key-development-areas', 'exploration-blocks', 'mining-blocks', 'mining-rights', 'ecological-redline', 'urban-boundary'];

async function mapQuery(db: SqlClient, sql: string): Promise<Map<string, unknown>> {
  const r = await db.query<{ id: string; v: unknown }>(sql);
  return new Map(r.rows.map((x) => [x.id, x.v]));
}

/** Reorders properties to the catalog's attribute order; unknown keys are a bug. */
export function orderProps(layerId: string, props: Record<string, unknown>): Record<string, unknown> {
  const def = LAYERS.find((l) => l.id === layerId);
  if (!def) throw new Error(`no catalog entry for ${layerId}`);
  const out: Record<string, unknown> = {};
  for (const a of def.attributes) if (props[a.name] !== undefined) out[a.name] = props[a.name];
  for (const k of Object.keys(props)) if (!(k in out)) throw new Error(`${layerId}: property ${k} not in catalog`);
  return out;
}

export interface DeriveReport { droppedParcels: string[] }

export async function deriveAttributes(db: SqlClient, layers: Layers, farm: FarmIndex): Promise<DeriveReport> {
  for (const [id, fs] of Object.entries(layers)) await loadFeatures(db, id, fs);
  for (const id of AREA_KM2_LAYERS) {
    const m = await mapQuery(db, `SELECT id, round((ST_Area(geom::geography) / 1e6)::numeric, 4)::float8 v FROM ${T(id)}`);
    for (const f of layers[id]) f.properties!.area_km2 = m.get(String(f.id));
  }
  const tw = T('admin-townships');
  const urbanTw = await mapQuery(db, `
    SELECT u.id, string_agg(t.props->>'name', '、' ORDER BY t.props->>'code') v
    FROM ${T('urban-boundary')} u JOIN ${tw} t ON ST_Intersects(u.geom, t.geom)
    WHERE ST_Area(ST_Intersection(u.geom, t.geom)) > 0.01 * ST_Area(u.geom) GROUP BY u.id`);
  for (const f of layers['urban-boundary']) f.properties!.township = urbanTw.get(String(f.id));

  for (const id of ['permanent-farmland', 'cultivated-land']) {
    const r = await db.query<{ id: string; ha: number; tw: string | null }>(`
      SELECT p.id, round((ST_Area(p.geom::geography) / 1e4)::numeric, 2)::float8 ha,
             (SELECT t.props->>'name' FROM ${tw} t WHERE ST_Intersects(t.geom, ST_PointOnSurface(p.geom)) LIMIT 1) tw
      FROM ${T(id)} p`);
    const m = new Map(r.rows.map((x) => [x.id, x]));
    for (const f of layers[id]) {
      const x = m.get(String(f.id))!;
      f.properties!.township = x.tw;
      f.properties!.area_ha = x.ha;
    }
  }

  // Safety filter on the rounded parcels (expected to drop nothing; reported if it does).
  const forbidden = ['ecological-redline', 'urban-boundary', 'mining-blocks'];
  const bad = await db.query<{ id: string; why: string }>(`
    WITH county AS (SELECT ST_Union(geom) g FROM ${T('admin-county')})
    SELECT p.id, CASE
        WHEN NOT ST_IsValid(p.geom) THEN 'invalid'
        WHEN NOT ST_Within(p.geom, county.g) THEN 'outside county'
        WHEN ST_Area(p.geom::geography) NOT BETWEEN 5000 AND 60000 THEN 'area ' || round(ST_Area(p.geom::geography)) || ' m²'
        WHEN ST_NPoints(p.geom) - 1 NOT BETWEEN 4 AND 10 THEN 'vertices'
        ${forbidden.map((l) => `WHEN EXISTS (SELECT 1 FROM ${T(l)} x WHERE ST_Intersects(x.geom, p.geom)) THEN '${l}'`).join(' ')}
        WHEN EXISTS (SELECT 1 FROM ${T('mining-rights')} x WHERE x.props->>'mineral' <> '陶粒页岩' AND ST_Intersects(x.geom, p.geom)) THEN 'mining-rights'
      END why
    FROM ${T('permanent-farmland')} p, county ORDER BY p.id`);
  bad.rows = bad.rows.filter((x) => x.why !== null);
  for (const x of bad.rows) console.warn(`dropping farmland parcel ${x.id}: ${x.why}`);
  const dropped = new Set(bad.rows.map((x) => x.id));
  const kept: Feature[] = [];
  const counts = new Array<number>(layers['cultivated-land'].length).fill(0);
  layers['permanent-farmland'].forEach((f, i) => {
    if (dropped.has(String(f.id))) return;
    counts[farm.parcelBlock[i]]++;
    kept.push(f);
  });
  kept.forEach((f, i) => { f.id = idFor('permanent-farmland', i); });
  layers['permanent-farmland'] = kept as Layers[string];
  layers['cultivated-land'].forEach((f, i) => {
    f.properties!.farmland_parcels = counts[i];
    f.properties!.permanent_farmland = counts[i] > 0;
  });
  for (const [id, fs] of Object.entries(layers)) for (const f of fs) f.properties = orderProps(id, f.properties ?? {});
  return { droppedParcels: [...dropped] };
}
