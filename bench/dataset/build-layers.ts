/**
 * Builds every layer's features (EPSG:4490, rounded) from the GK shapes. Attributes that need
 * the final geometry (areas, townships of parcels) are filled in later by `derive.ts`.
 */
import type { Feature, MultiPolygon, Polygon } from 'geojson';
import type { Coverage } from './build-townships.ts';
import type { SqlClient } from './db.ts';
import type { FarmContext, SelectedBlock } from './farmland.ts';
import { LAND_CODE } from './field-blocks.ts';
import { feature, gkMultiPolygon, gkPolygon, gkPolygonsOf, seqId } from './geojson.ts';
import { OFFICIAL_AREA_KM2 } from './outline.ts';
import { polygonWkt, type Pt } from './planar.ts';

export type Layers = Record<string, Feature<Polygon | MultiPolygon>[]>;

/** Parcel → the cultivated block it lies in (index into the cultivated layer). */
export interface FarmIndex { parcelBlock: number[] }

const PREFIX: Record<string, string> = {
  'admin-county': 'AC', 'admin-townships': 'AT', 'key-exploration-zones': 'EZ', 'key-mining-zones': 'MZ',
  'key-development-areas': 'DA', 'exploration-blocks': 'EB', 'mining-blocks': 'MB', 'mining-rights': 'MR',
  'exploration-rights': 'ER', 'ecological-redline': 'RL', 'permanent-farmland': 'PF', 'cultivated-land': 'CL', 'urban-boundary': 'UB',
};
export const idFor = (layer: string, i: number): string => seqId(PREFIX[layer], i);

/** ST_Intersection in GK of `wkts` (unioned) with `clipSql`, dropping parts under `minPartM2`. */
async function clipGK(db: SqlClient, wkts: string[], clipSql: string, minPartM2: number): Promise<Pt[][][]> {
  const r = await db.query<{ g: string | null }>(`
    WITH src AS (SELECT ST_Union(ST_MakeValid(ST_GeomFromText(w, 4551))) g FROM json_array_elements_text($1::json) w),
    cut AS (SELECT (ST_Dump(ST_CollectionExtract(ST_Intersection(src.g, (${clipSql})), 3))).geom p FROM src)
    SELECT ST_AsGeoJSON(ST_Collect(p ORDER BY ST_XMin(p), ST_YMin(p)), 15) g FROM cut WHERE ST_Area(p) >= $2`,
    [JSON.stringify(wkts), minPartM2]);
  if (!r.rows[0].g) return [];
  return gkPolygonsOf(JSON.parse(r.rows[0].g));
}

export async function buildLayers(db: SqlClient, ctx: FarmContext, cov: Coverage, farm: { protectedBlocks: SelectedBlock[]; reserveBlocks: SelectedBlock[] }): Promise<{ layers: Layers; farmIndex: FarmIndex }> {
  const L: Layers = {};
  const countyGK = `ST_GeomFromText('${polygonWkt(cov.county)}', 4551)`;
  await db.query(`DROP TABLE IF EXISTS g_township`);
  await db.query(`CREATE TABLE g_township (name text, geom geometry(Polygon, 4551))`);
  for (const t of cov.townships) await db.query(`INSERT INTO g_township VALUES ($1, ST_GeomFromText($2, 4551))`, [t.def.name, polygonWkt(t.rings)]);

  L['admin-county'] = [feature(idFor('admin-county', 0), { code: '220183', name: '德惠市', level: '县级市', parent: '长春市', official_area_km2: OFFICIAL_AREA_KM2 }, gkMultiPolygon([cov.county]))];
  L['admin-townships'] = [...cov.townships].sort((a, b) => a.def.code.localeCompare(b.def.code)).map((t, i) =>
    feature(idFor('admin-townships', i), { code: t.def.code, name: t.def.name, type: t.def.type, illustrative: t.def.illustrative }, gkPolygon(t.rings)));

  // Red line: TS regions clipped 1 m inside the county so rounding can never push them out.
  L['ecological-redline'] = [];
  for (const [i, r] of ctx.constraints.redline.entries()) {
    const parts = await clipGK(db, r.regions.map((g) => polygonWkt([g])), `ST_Buffer(${countyGK}, -1)`, 20000);
    L['ecological-redline'].push(feature(idFor('ecological-redline', i), { code: `HX-DH-${String(i + 1).padStart(2, '0')}`, name: r.name, category: r.category, subtype: r.subtype, illustrative: true }, gkMultiPolygon(parts)));
  }
  L['urban-boundary'] = ctx.constraints.urban.map((u, i) =>
    feature(idFor('urban-boundary', i), { code: `KFBJ-${String(i + 1).padStart(2, '0')}`, name: u.name, kind: u.kind === 'city' ? '中心城区' : '镇区', illustrative: true }, gkPolygon([u.ring])));

  // Plan shapes; the development area is clipped to its two towns (shrunk 200 m).
  for (const layer of ['key-exploration-zones', 'key-mining-zones', 'key-development-areas', 'exploration-blocks', 'mining-blocks', 'mining-rights']) {
    L[layer] = [];
    for (const s of ctx.plan.filter((p) => p.layer === layer)) {
      let rings: Pt[][] = [s.ring];
      if (s.clipToTownships) {
        const parts = await clipGK(db, [polygonWkt([s.ring])], `SELECT ST_Buffer(ST_Union(geom), -200) FROM g_township WHERE name = ANY(ARRAY[${s.townships.map((n) => `'${n}'`).join(',')}])`, 0);
        if (parts.length !== 1) throw new Error(`${String(s.props.name)}: clipping gave ${parts.length} parts`);
        rings = parts[0];
      }
      const { illustrative, period, ...rest } = s.props;
      const props: Record<string, unknown> = { ...rest, township: s.townships.join('、') };
      if (period) props.period = period;
      props.illustrative = illustrative;
      L[layer].push(feature(idFor(layer, L[layer].length), props, gkPolygon(rings)));
    }
  }
  L['exploration-rights'] = [];

  // Farmland parcels and the cultivated blocks that hold them (protected ones first, then the
  // reserve blocks near towns), each in generation order.
  L['permanent-farmland'] = [];
  L['cultivated-land'] = [];
  const parcelBlock: number[] = [];
  for (const b of [...farm.protectedBlocks, ...farm.reserveBlocks]) {
    const bi = L['cultivated-land'].length;
    L['cultivated-land'].push(feature(idFor('cultivated-land', bi), { land_code: LAND_CODE[b.landClass], land_class: b.landClass, permanent_farmland: b.protected, farmland_parcels: b.parcels.length }, gkPolygon([b.block.ring])));
    for (const p of b.parcels) {
      L['permanent-farmland'].push(feature(idFor('permanent-farmland', parcelBlock.length), { land_code: LAND_CODE[b.landClass], land_class: b.landClass, quality_grade: b.grade }, gkPolygon([p])));
      parcelBlock.push(bi);
    }
  }
  return { layers: L, farmIndex: { parcelBlock } };
}
