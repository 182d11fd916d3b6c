/**
 * The deliberate conflict situations (a)–(f) a checker must find, located by SQL on the loaded
 * `ds_*` tables (EPSG:4490, ellipsoidal areas in m²). The generator asserts each set is exactly
 * the intended one and writes the result to data/deliberate-cases.json and data/README.md.
 */
import type { SqlClient } from './db.ts';
import { featuresOutsideCounty } from './invariants.ts';
import { tableName as T } from './pg-tables.ts';

export interface SituationHit {
  layer: string;
  id: string;
  code: string;
  name: string;
  /** The features of the other layer involved. */
  against: { layer: string; ids: string[] };
  overlapM2: number;
  /** Overlap (or part outside) as a share of the feature's own area, %. */
  sharePct: number;
}

export interface Situation {
  key: 'a' | 'b' | 'c' | 'd' | 'e' | 'f';
  title: string;
  rule: string;
  expectedVerdict: 'prohibited' | 'review' | 'notice';
  hits: SituationHit[];
}

type Row = { id: string; code: string | null; name: string; ids: string[] | null; ov: number; sh: number };
const hit = (layer: string, against: string) => (r: Row): SituationHit => ({
  layer, id: r.id, code: r.code ?? '', name: r.name, against: { layer: against, ids: r.ids ?? [] },
  overlapM2: Math.round(Number(r.ov) * 100) / 100, sharePct: Math.round(Number(r.sh) * 1e4) / 100,
});

/** Features of layer `a` overlapping layer `b` by more than 1 m². */
async function overlaps(db: SqlClient, a: string, b: string, codeKey = 'code', where = 'true'): Promise<SituationHit[]> {
  const r = await db.query<Row>(`
    SELECT x.id, x.props->>'${codeKey}' code, x.props->>'name' name, array_agg(y.id ORDER BY y.id) ids,
           ST_Area(ST_Union(ST_Intersection(x.geom, y.geom))::geography) ov,
           ST_Area(ST_Union(ST_Intersection(x.geom, y.geom))::geography) / ST_Area(x.geom::geography) sh
    FROM ${T(a)} x JOIN ${T(b)} y ON ST_Intersects(x.geom, y.geom) AND ST_Area(ST_Intersection(x.geom, y.geom)::geography) > 1
    WHERE ${where}
    GROUP BY x.id, x.props, x.geom ORDER BY x.id`);
  return r.rows.map(hit(a, b));
}

export async function findSituations(db: SqlClient): Promise<Situation[]> {
  const tw = T('admin-townships');
  // (b) blocks whose area is not all inside the township they are listed under.
  const b = await db.query<Row>(`
    SELECT x.id, x.props->>'code' code, x.props->>'name' name,
           (SELECT array_agg(t2.id ORDER BY t2.id) FROM ${tw} t2 WHERE t2.props->>'name' <> x.props->>'township'
              AND ST_Area(ST_Intersection(t2.geom, x.geom)::geography) > 1) ids,
           ST_Area(ST_Difference(x.geom, t.geom)::geography) ov,
           ST_Area(ST_Difference(x.geom, t.geom)::geography) / ST_Area(x.geom::geography) sh
    FROM ${T('exploration-blocks')} x JOIN ${tw} t ON t.props->>'name' = x.props->>'township'
    WHERE ST_Area(ST_Difference(x.geom, t.geom)::geography) > 1 ORDER BY x.id`);
  // (e) plan features partly outside the county.
  const planLayers = ['key-exploration-zones', 'key-mining-zones', 'key-development-areas', 'exploration-blocks', 'mining-blocks', 'mining-rights', 'exploration-rights'];
  const outside = await featuresOutsideCounty(db, planLayers);
  const e: SituationHit[] = [];
  for (const lid of outside) {
    const [layer, id] = lid.split(':');
    const r = await db.query<Row>(`
      WITH c AS (SELECT ST_Union(geom) g FROM ${T('admin-county')})
      SELECT x.id, x.props->>'code' code, x.props->>'name' name, ARRAY['${T('admin-county')}'] ids,
             ST_Area(ST_Difference(x.geom, c.g)::geography) ov, ST_Area(ST_Difference(x.geom, c.g)::geography) / ST_Area(x.geom::geography) sh
      FROM ${T(layer)} x, c WHERE x.id = $1`, [id]);
    e.push(...r.rows.map((row) => ({ ...hit(layer, 'admin-county')(row), against: { layer: 'admin-county', ids: [] } })));
  }
  // (f) mineral-water rights inside the key mining zone.
  const f = await db.query<Row>(`
    SELECT x.id, x.props->>'licence_no' code, x.props->>'name' name, array_agg(z.id ORDER BY z.id) ids,
           sum(ST_Area(ST_Intersection(x.geom, z.geom)::geography)) ov,
           sum(ST_Area(ST_Intersection(x.geom, z.geom)::geography)) / ST_Area(x.geom::geography) sh
    FROM ${T('mining-rights')} x JOIN ${T('key-mining-zones')} z ON ST_Intersects(x.geom, z.geom)
    WHERE x.props->>'mineral' = '矿泉水' GROUP BY x.id, x.props, x.geom ORDER BY x.id`);
  return [
    { key: 'a', title: '已设采矿权压覆永久基本农田', rule: '采矿与永久基本农田重叠：禁止（基本农田保护条例第十七条；第三章第一节）', expectedVerdict: 'prohibited',
      hits: await overlaps(db, 'mining-rights', 'permanent-farmland', 'licence_no') },
    { key: 'b', title: '勘查规划区块部分超出所在乡镇', rule: '区块范围与所列乡镇不一致：需核实（专栏7）', expectedVerdict: 'review', hits: b.rows.map(hit('exploration-blocks', 'admin-townships')) },
    { key: 'c', title: '勘查规划区块与生态保护红线重叠', rule: '勘查与生态保护红线重叠：需论证（第三章第一节；自然资发〔2022〕142号）', expectedVerdict: 'review',
      hits: await overlaps(db, 'exploration-blocks', 'ecological-redline') },
    { key: 'd', title: '开采规划区块与城镇开发边界部分重叠', rule: '与城镇开发边界重叠：需论证（三区三线）', expectedVerdict: 'review',
      hits: await overlaps(db, 'mining-blocks', 'urban-boundary') },
    { key: 'e', title: '开采规划区块部分位于德惠市行政区外', rule: '部分或全部位于行政区外：需核实（《规划》适用范围）', expectedVerdict: 'review', hits: e },
    { key: 'f', title: '矿泉水采矿权位于重点开采区内', rule: '位于重点开采区：提示（第三章第三节）', expectedVerdict: 'notice', hits: f.rows.map(hit('mining-rights', 'key-mining-zones')) },
  ];
}

/** Overlaps that must NOT exist (they would be unplanned conflicts): `layer:id → layer:ids`. */
export async function unintendedConflicts(db: SqlClient): Promise<string[]> {
  const pairs: [string, string][] = [
    ['mining-blocks', 'ecological-redline'], ['mining-blocks', 'permanent-farmland'], ['mining-rights', 'ecological-redline'],
    ['mining-rights', 'urban-boundary'], ['exploration-blocks', 'urban-boundary'], ['urban-boundary', 'ecological-redline'],
    ['permanent-farmland', 'ecological-redline'], ['permanent-farmland', 'urban-boundary'], ['cultivated-land', 'ecological-redline'],
    ['cultivated-land', 'urban-boundary'], ['key-mining-zones', 'ecological-redline'], ['key-development-areas', 'ecological-redline'],
  ];
  const out: string[] = [];
  for (const [a, b] of pairs) for (const h of await overlaps(db, a, b)) out.push(`${a}:${h.id} ∩ ${b}:${h.against.ids.join(',')} (${h.overlapM2} m²)`);
  return out;
}
