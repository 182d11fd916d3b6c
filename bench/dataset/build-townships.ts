/**
 * Township boundaries as an exact coverage of the county (EPSG:4551 metres).
 *
 * Why this way: Voronoi cells of township seeds give a plausible partition; their edges are
 * roughened in TypeScript *once per edge* (both neighbours reuse the same linestring), then
 * PostGIS nodes the edges with the county ring and polygonizes. Every shared boundary is
 * therefore the same sequence of vertices on both sides, and the county is the coverage union of
 * the townships, so it carries exactly the same vertices too.
 */
import type { SqlClient } from './db.ts';
import { kmToGK, type CountyOutline } from './outline.ts';
import { fractalize, lineWkt, polygonWkt, roundPt, type Pt } from './planar.ts';
import { stream } from './prng.ts';
import { TOWNSHIPS, type TownshipDef } from './townships.ts';

export interface TownshipShape {
  def: TownshipDef;
  /** Polygon rings (outer first), open, GK metres. */
  rings: Pt[][];
}

export interface Coverage {
  townships: TownshipShape[];
  /** County as the coverage union of the townships: polygon rings, open, GK metres. */
  county: Pt[][];
}

type GeoJsonGeom = { type: string; coordinates: unknown };

/** Open rings of a GeoJSON Polygon (closing point dropped). */
function polygonRings(g: GeoJsonGeom): Pt[][] {
  if (g.type !== 'Polygon') throw new Error(`expected Polygon, got ${g.type}`);
  return (g.coordinates as Pt[][]).map((r) => r.slice(0, -1));
}

export async function buildTownshipCoverage(db: SqlClient, outline: CountyOutline, seed: number): Promise<Coverage> {
  const countyWkt = polygonWkt([outline.ring]);
  await db.query(`DROP TABLE IF EXISTS tw_seed, tw_edge, tw_face`);
  await db.query(`CREATE TABLE tw_seed (tidx int, geom geometry(Point, 4551))`);
  await db.query(`CREATE TABLE tw_edge (geom geometry(LineString, 4551))`);
  const seeds: { tidx: number; p: Pt }[] = [];
  TOWNSHIPS.forEach((t, tidx) => t.seeds.forEach(([x, y]) => seeds.push({ tidx, p: kmToGK(x, y) })));
  await db.query(
    `INSERT INTO tw_seed SELECT (e->>0)::int, ST_SetSRID(ST_MakePoint((e->>1)::float8, (e->>2)::float8), 4551)
       FROM json_array_elements($1::json) e`,
    [JSON.stringify(seeds.map((s) => [s.tidx, s.p[0], s.p[1]]))],
  );
  const env = `ST_Expand(ST_GeomFromText('${countyWkt}', 4551), 30000)`;
  const { rows } = await db.query<{ g: string }>(
    `SELECT ST_AsGeoJSON(ST_VoronoiLines(ST_Collect(geom ORDER BY tidx), 0, ${env}), 15) g FROM tw_seed`,
  );
  const edges = (JSON.parse(rows[0].g) as { coordinates: Pt[][] }).coordinates;

  // Roughen each Voronoi edge with a stream keyed by its (sorted, rounded) endpoints, so the
  // result does not depend on the order GEOS emits edges in.
  const lines: string[] = [];
  for (const e of edges) {
    let a = roundPt(e[0], 0.01);
    let b = roundPt(e[e.length - 1], 0.01);
    if (a[0] > b[0] || (a[0] === b[0] && a[1] > b[1])) [a, b] = [b, a];
    const rng = stream(seed, `township-edge:${a[0]},${a[1]},${b[0]},${b[1]}`);
    const pts = fractalize(a, b, 220, (len) => (len > 3000 ? 0.045 : 0.11), rng).map((p) => roundPt(p, 0.01));
    pts.push(b);
    lines.push(lineWkt(pts));
  }
  lines.push(lineWkt([...outline.ring, outline.ring[0]]));
  await db.query(
    `INSERT INTO tw_edge SELECT ST_GeomFromText(w, 4551) FROM json_array_elements_text($1::json) w`,
    [JSON.stringify(lines)],
  );

  // Faces of the noded linework that lie inside the county, each given to the township whose
  // (unroughened) Voronoi cell it overlaps most.
  await db.query(`
    CREATE TABLE tw_face AS
    WITH county AS (SELECT ST_GeomFromText('${countyWkt}', 4551) g),
    faces AS (
      SELECT (ST_Dump(ST_Polygonize(n))).geom AS geom
      FROM (SELECT ST_Node(ST_Collect(geom)) n FROM tw_edge) s
    ),
    cells AS (
      SELECT c.geom, s.tidx
      FROM (SELECT (ST_Dump(ST_VoronoiPolygons(ST_Collect(geom), 0, ${env}))).geom FROM tw_seed) c
      JOIN tw_seed s ON ST_Contains(c.geom, s.geom)
    ),
    inside AS (
      SELECT row_number() OVER (ORDER BY ST_XMin(f.geom), ST_YMin(f.geom)) fid, f.geom
      FROM faces f, county WHERE ST_Contains(county.g, ST_PointOnSurface(f.geom))
    )
    SELECT DISTINCT ON (i.fid) i.fid, c.tidx, i.geom
    FROM inside i JOIN cells c ON ST_Intersects(i.geom, c.geom)
    ORDER BY i.fid, ST_Area(ST_Intersection(i.geom, c.geom)) DESC, c.tidx`);

  const tw = await db.query<{ tidx: number; g: string; parts: number; holes: number }>(`
    SELECT tidx, ST_AsGeoJSON(u, 15) g, ST_NumGeometries(u) parts, ST_NumInteriorRings(ST_GeometryN(u, 1)) holes
    FROM (SELECT tidx, ST_CoverageUnion(geom) u FROM tw_face GROUP BY tidx) s ORDER BY tidx`);
  if (tw.rows.length !== TOWNSHIPS.length) throw new Error(`expected ${TOWNSHIPS.length} townships, got ${tw.rows.length}`);
  const townships = tw.rows.map((r) => {
    if (r.parts !== 1 || r.holes !== 0) throw new Error(`${TOWNSHIPS[r.tidx].name}: ${r.parts} parts, ${r.holes} holes`);
    const g = JSON.parse(r.g) as GeoJsonGeom;
    const poly = g.type === 'MultiPolygon' ? { type: 'Polygon', coordinates: (g.coordinates as unknown[])[0] } : g;
    return { def: TOWNSHIPS[r.tidx], rings: polygonRings(poly) };
  });
  const cu = await db.query<{ g: string }>(`SELECT ST_AsGeoJSON(ST_CoverageUnion(geom), 15) g FROM tw_face`);
  const county = polygonRings(JSON.parse(cu.rows[0].g) as GeoJsonGeom);
  await db.query(`DROP TABLE IF EXISTS tw_seed, tw_edge, tw_face`);
  return { townships, county };
}
