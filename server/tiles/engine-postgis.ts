/**
 * PostGIS engine: ST_AsMVT over an index-friendly envelope filter, as Martin does. z/x/y and the
 * version are bound; the layer id is a literal (see layerLiteral). The envelope test uses the stored, GiST-indexed EPSG:3857 column,
 * so no per-row transform. Below z14 the rules of generalisation.ts run in the same statement
 * (pixel-grid snap, one-pixel squares, bulk parcels merged into pixel cells), and the statement also
 * counts the parcels it merged. A labelled layer's tile also carries its label points (migration
 * 008, one stored point per feature) as the MVT layer "<layer id>_label", in the same statement.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Db } from '../db/connect.js';
import type { Schema } from '../db/schema.js';
import { CELL_DRAWN_SHARE, generalises, MERCATOR_ORIGIN, merges, MERGED_PROPERTY, pixelMetres, snaps } from './generalisation.js';
import type { TileCoord } from './tile-math.js';
import { labelLayerName, MVT_BUFFER, MVT_EXTENT, type RenderedTile, type TileEngine, type TileLayerSource, type TileProperty } from './tile-source.js';

/** typed MVT values: numbers stay numbers; a value of the wrong JSON type is left out, not an error */
function propertyValue(p: TileProperty): RawBuilder<unknown> {
  if (p.type === 'number' || p.type === 'integer') {
    return sql`case when jsonb_typeof(f.properties->${p.name}) = 'number' then (f.properties->>${p.name})::float8 end`;
  }
  if (p.type === 'boolean') return sql`case when jsonb_typeof(f.properties->${p.name}) = 'boolean' then (f.properties->>${p.name})::boolean end`;
  return sql`f.properties->>${p.name}`;
}

/** an SQL null of the column type propertyValue gives (the merged rectangles carry no attributes) */
function propertyNull(p: TileProperty): RawBuilder<unknown> {
  if (p.type === 'number' || p.type === 'integer') return sql`null::float8`;
  if (p.type === 'boolean') return sql`null::boolean`;
  return sql`null::text`;
}

/** the one-pixel square (EPSG:3857) of zoom z's pixel grid under f's bbox centre */
function pixelSquareOf(z: number): RawBuilder<unknown> {
  const px = pixelMetres(z);
  const o = MERCATOR_ORIGIN;
  const cell = (lo: string, hi: string) =>
    sql`floor(((${sql.raw(lo)}(f.geom_3857) + ${sql.raw(hi)}(f.geom_3857)) / 2 + ${o}::float8) / ${px}::float8)`;
  return cellSquare(px, cell('ST_XMin', 'ST_XMax'), cell('ST_YMin', 'ST_YMax'));
}

function cellSquare(px: number, cx: RawBuilder<unknown>, cy: RawBuilder<unknown>): RawBuilder<unknown> {
  const o = MERCATOR_ORIGIN;
  return sql`ST_MakeEnvelope(${cx} * ${px}::float8 - ${o}::float8, ${cy} * ${px}::float8 - ${o}::float8,
    (${cx} + 1) * ${px}::float8 - ${o}::float8, (${cy} + 1) * ${px}::float8 - ${o}::float8, 3857)`;
}

/**
 * The pixel square at a point of f inside the buffered tile `env`: for a feature narrower than a
 * pixel (a strip of red line), whose part in the tile vanishes in the 4096 grid though its area is
 * more than a pixel². Placed ON the feature, unlike the bbox-centre pixel of a tiny one.
 */
function pixelSquareOnFeature(z: number, env: RawBuilder<unknown>): RawBuilder<unknown> {
  const px = pixelMetres(z);
  const o = MERCATOR_ORIGIN;
  const p = sql`ST_PointOnSurface(ST_Intersection(f.geom_3857, ${env}))`;
  return cellSquare(px, sql`floor((ST_X(${p}) + ${o}::float8) / ${px}::float8)`, sql`floor((ST_Y(${p}) + ${o}::float8) / ${px}::float8)`);
}

/**
 * f's EPSG:3857 geometry snapped at zoom z (below SNAP_BELOW_ZOOM), never null for a feature
 * (generalisation.ts): points as they are, lines snapped unless they collapse, polygons snapped or,
 * when nothing with area is left, the one-pixel square under the bbox centre. Same float8
 * arithmetic as the JS rules.
 */
function keptGeometry(z: number): RawBuilder<unknown> {
  const px = pixelMetres(z);
  const o = MERCATOR_ORIGIN;
  const snapped = sql`(select ST_SnapToGrid(f.geom_3857, ${-o}::float8, ${-o}::float8, ${px}::float8, ${px}::float8) as g)`;
  return sql`case ST_Dimension(f.geom_3857) when 0 then f.geom_3857
    when 1 then coalesce((select s.g from ${snapped} s where not ST_IsEmpty(s.g)), f.geom_3857)
    else coalesce((select s.g from ${snapped} s where ST_Area(s.g) > 0), ${pixelSquareOf(z)}) end`;
}

/**
 * The layer id as an SQL literal (a validated id, TileService.parseLayerIds, escaped by kysely):
 * so that the generic plan of a prepared tile statement knows which layer it reads — a small
 * layer's plan goes by the layer, the 200 000-parcel farmland's by the envelope's GiST index.
 */
function layerLiteral(source: TileLayerSource): RawBuilder<unknown> {
  return sql.lit(source.layerId);
}

/** which rows of the layer a tile draws: the current ones, or those of an older version */
function visibleRows(source: TileLayerSource): RawBuilder<unknown> {
  return source.current
    ? sql`f.valid_to is null`
    : sql`f.valid_from <= ${source.version} and (f.valid_to is null or f.valid_to > ${source.version})`;
}

/**
 * One layer's tile statement (exported for the benchmark's plan checks): its MVT layer, then, for
 * a labelled layer, its label layer appended (MVT layers concatenate into one valid tile).
 */
export function layerQuery(source: TileLayerSource, tile: TileCoord, rules = tile.z): RawBuilder<{ mvt: Buffer | null; merged: number }> {
  const polygons = featureQuery(source, tile, rules);
  if (!source.label) return polygons;
  return sql<{ mvt: Buffer | null; merged: number }>`
    select coalesce(t.mvt, ''::bytea) || coalesce(l.mvt, ''::bytea) as mvt, t.merged
    from (${polygons}) t cross join (${labelQuery(source, tile, rules)}) l`;
}

/**
 * The label points of a labelled layer in this tile (server/tiles/README.md, "Labels"): the stored
 * point of each feature (tile_label_points), with the feature's MVT id, fid and label attribute.
 * A point near a tile edge is also in the neighbour's buffer, as every feature is; MapLibre places
 * it once. Points are never generalised; below z10 a bulk layer's parcels merged into pixel cells
 * have no attributes, so they have no label either (the same test as the merge: under a pixel²).
 */
function labelQuery(source: TileLayerSource, tile: TileCoord, rules: number): RawBuilder<{ mvt: Buffer | null }> {
  const props = source.properties.filter((p) => p.name === source.label).map((p) => sql`, ${propertyValue(p)} as ${sql.id(p.name)}`);
  const { z, x, y } = tile;
  const merging = merges(source.generalisation, rules);
  const kept = merging ? sql`and not (ST_Dimension(f.geom_3857) = 2 and ST_Area(f.geom_3857) / ${pixelMetres(z) ** 2}::float8 < 1)` : sql``;
  return sql<{ mvt: Buffer | null }>`
    select ST_AsMVT(q, ${labelLayerName(source.layerId)}::text, ${MVT_EXTENT}::int, 'geom', 'mvt_id') as mvt from (
      select f.id as mvt_id, f.fid ${sql.join(props, sql``)},
        ST_AsMVTGeom(p.point, ST_TileEnvelope(${z}::int, ${x}::int, ${y}::int), ${MVT_EXTENT}::int, ${MVT_BUFFER}::int, true) as geom
      from tile_label_points p join features f on f.id = p.feature_id
      where p.layer_id = ${layerLiteral(source)}
        and p.point && ST_TileEnvelope(${z}::int, ${x}::int, ${y}::int, margin => ${MVT_BUFFER / MVT_EXTENT}::float8)
        and f.layer_id = ${layerLiteral(source)} and ${visibleRows(source)} ${kept}
    ) q`;
}

/** the statement of the layer's own MVT layer (generalised below z14, generalisation.ts) */
function featureQuery(source: TileLayerSource, tile: TileCoord, rules: number): RawBuilder<{ mvt: Buffer | null; merged: number }> {
  const props = source.properties.map((p) => sql`, ${propertyValue(p)} as ${sql.id(p.name)}`);
  const visible = visibleRows(source);
  const { z, x, y } = tile;
  // The canonical shape (as Martin and docs/performance.md): envelopes inline, no CTE join, so the
  // planner sees constant envelopes and drives the GiST index on geom_3857 directly.
  const env = sql`ST_TileEnvelope(${z}::int, ${x}::int, ${y}::int)`;
  const where = sql`f.layer_id = ${layerLiteral(source)} and ${visible}
        and f.geom_3857 && ST_TileEnvelope(${z}::int, ${x}::int, ${y}::int, margin => ${MVT_BUFFER / MVT_EXTENT}::float8)`;
  const mvtGeom = (g: RawBuilder<unknown>) => sql`ST_AsMVTGeom(${g}, ${env}, ${MVT_EXTENT}::int, ${MVT_BUFFER}::int, true)`;
  const layerName = sql`${source.layerId}::text`;
  if (!merges(source.generalisation, rules)) {
    // exact; snapped (low zooms); or (z12–13) exact, with the pixel for a polygon of under a pixel²
    // that vanishes in the 4096 grid — not for a large one whose part in this tile is a sliver:
    // the pixel under its bbox centre could be where it is not — and, for a polygon narrower than a
    // pixel on average (2·area/perimeter), a pixel ON it where its part vanishes (found by a review:
    // a 0.5 m strip of red line 4 km long vanished at z12–13)
    const geom = !generalises(source.generalisation, rules)
      ? mvtGeom(sql`f.geom_3857`)
      : snaps(source.generalisation, rules)
        ? mvtGeom(keptGeometry(z))
        : sql`coalesce(${mvtGeom(sql`f.geom_3857`)}, case when ST_Dimension(f.geom_3857) <> 2 then null
            when ST_Area(f.geom_3857) < ${pixelMetres(z) ** 2}::float8 then ${mvtGeom(pixelSquareOf(z))}
            when 2 * ST_Area(f.geom_3857) < ${pixelMetres(z)}::float8 * ST_Perimeter(f.geom_3857)
              then ${mvtGeom(pixelSquareOnFeature(z, sql`ST_TileEnvelope(${z}::int, ${x}::int, ${y}::int, margin => ${MVT_BUFFER / MVT_EXTENT}::float8)`))} end)`;
    return sql<{ mvt: Buffer; merged: number }>`
      select ST_AsMVT(q, ${layerName}, ${MVT_EXTENT}::int, 'geom', 'mvt_id') as mvt, 0 as merged from (
        select f.id as mvt_id, f.fid ${sql.join(props, sql``)}, ${geom} as geom
        from features f where ${where}
      ) q`; // no "where geom is not null": a flattened subquery would clip every feature twice; ST_AsMVT skips nulls
  }
  // bulk: parcels of a pixel² or more are kept (as above); smaller ones are merged into pixel
  // cells, drawn as runs along rows (gaps-and-islands) where they cover half a cell.
  const px = pixelMetres(z);
  const px2 = px * px;
  const o = MERCATOR_ORIGIN;
  const centre = (lo: string, hi: string) =>
    sql`floor(((${sql.raw(lo)}(f.geom_3857) + ${sql.raw(hi)}(f.geom_3857)) / 2 + ${o}::float8) / ${px}::float8)`;
  const nulls = source.properties.map((p) => sql`, ${propertyNull(p)}`);
  return sql<{ mvt: Buffer | null; merged: number }>`
    with f as materialized (
      select f.id, f.fid, case when m.small then null else f.properties end as properties,
             case when m.small then null else f.geom_3857 end as geom_3857,
             case when m.small then ${centre('ST_XMin', 'ST_XMax')} end as col,
             case when m.small then ${centre('ST_YMin', 'ST_YMax')} end as row,
             m.apx
      from features f
      cross join lateral (select ST_Area(f.geom_3857) / ${px2}::float8 as apx) a
      cross join lateral (select a.apx, ST_Dimension(f.geom_3857) = 2 and a.apx < 1 as small) m
      where ${where}
    )
    select ST_AsMVT(q, ${layerName}, ${MVT_EXTENT}::int, 'geom', 'mvt_id') as mvt, (select count(*) from f where f.col is not null)::int as merged from (
      select f.id as mvt_id, f.fid ${sql.join(props, sql``)}, null::boolean as ${sql.id(MERGED_PROPERTY)}, ${mvtGeom(keptGeometry(z))} as geom
      from f where f.col is null
      union all
      select null::bigint, null::text ${sql.join(nulls, sql``)}, true,
        ${mvtGeom(sql`ST_MakeEnvelope(r.c0 * ${px}::float8 - ${o}::float8, r.row * ${px}::float8 - ${o}::float8,
          (r.c1 + 1) * ${px}::float8 - ${o}::float8, (r.row + 1) * ${px}::float8 - ${o}::float8, 3857)`)}
      from (select row, min(col) as c0, max(col) as c1 from (
              select col, row, col - row_number() over (partition by row order by col) as run from (
                select col, row from f where col is not null group by col, row having sum(apx) >= ${CELL_DRAWN_SHARE}::float8) cells) runs
            group by row, run) r
    ) q`;
}

/** the statement of renderCurrent: the layer's version and shape check, cross joined with its tile */
function currentQuery(source: TileLayerSource, tile: TileCoord, shape: LayerShape, rules: number) {
  return sql<{ version: number; same: boolean; mvt: Buffer | null; merged: number }>`
      select m.version, m.same, t.mvt, t.merged
      from (select l.version, (l.attributes = ${shape.attributesJson}::jsonb and coalesce(g.policy, 'keep-all') = ${source.generalisation}::text
                               and l.label_field is not distinct from ${shape.labelField}::text and l.geometry_type = ${shape.geometryType}::text) as same
            from layers l left join tile_generalisation g on g.layer_id = l.id where l.id = ${layerLiteral(source)}) m
      cross join (${layerQuery(source, tile, rules)}) t`;
}

/** the layer columns a tile statement is shaped by, besides its policy (as last read) */
export interface LayerShape {
  attributesJson: string;
  labelField: string | null;
  geometryType: string;
}

/** what the one-round-trip statement of a current-version tile returns (null: no such layer) */
export interface CurrentLayerTile {
  /** the layer's version in the statement's snapshot: the tile is exactly that version */
  version: number;
  /** the layer's attributes, label field, geometry type and policy are still the ones the statement was built from */
  same: boolean;
  mvt: Buffer | null;
  merged: number;
}

/**
 * A tile statement compiled once for a sentinel tile: the request's z/x/y and the zoom's pixel
 * size (and its square) replace the sentinel's values in the same parameter slots.
 */
interface PreparedTile {
  name: string;
  text: string;
  /** per parameter: the request value to put there, or undefined for a constant */
  slots: (keyof TileValues | undefined)[];
  constants: readonly unknown[];
}
interface TileValues {
  z: number;
  x: number;
  y: number;
  px: number;
  px2: number;
}
/**
 * Two tiles no request can name (z 40 and 41 are beyond every zoom, and their pixel sizes and
 * squares are still normal floats): compiled for both, the parameters that differ are the slots.
 */
const SENTINELS: [TileCoord, TileCoord] = [
  { z: 40, x: 1_000_001, y: 1_000_002 },
  { z: 41, x: 2_000_001, y: 2_000_002 },
];
const tileValues = (t: TileCoord): TileValues => ({ z: t.z, x: t.x, y: t.y, px: pixelMetres(t.z), px2: pixelMetres(t.z) ** 2 });
/**
 * Prepared (generic-plan) statements from this zoom up. Measured (bench:tiles' tiles, 200k parcels):
 * at z14 the generic plan saves the ~0.15 ms of planning in a ~0.7 ms tile; at z10 its GiST index
 * scan (a generic plan cannot know the envelope holds 40,000 parcels) was ~10 % slower than the
 * custom plan's bitmap scan, and planning is noise there.
 */
export const PREPARED_MIN_ZOOM = 12;

export class PostgisTileEngine implements TileEngine {
  readonly name = 'postgis' as const;
  /**
   * per layer shape as last read (tile-service.ts keeps one object per layer until its attributes,
   * label or policy change, and then a new one): its statements by rule class. Keyed by the object,
   * so a request builds no key, and a replaced shape's statements go with it. (Server-side, a
   * statement prepared on a connection stays until the connection closes: pg keeps no handle to
   * deallocate it; only a change of a layer's attributes, label field or policy makes a new one.)
   */
  private readonly statements = new WeakMap<LayerShape, Map<string, PreparedTile>>();

  /** `prepared` (PostgreSQL): current tiles run as prepared statements with generic plans (Db.prepared) */
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly prepared?: Db['prepared'],
  ) {}

  /**
   * A current-version tile of one layer in ONE statement (one snapshot, one round trip): the
   * layer's version, whether its attributes, label field, geometry type and policy still equal
   * `shape`'s and `source`'s (they shaped the statement; false → the caller reloads them and draws
   * again), and the tile. On PostgreSQL the statement is prepared once per shape and connection
   * and runs with a generic plan: a tile costs no parsing or planning (about 0.15 ms of a 0.7 ms
   * z14 tile, bench/tiles.ts).
   */
  async renderCurrent(source: TileLayerSource, tile: TileCoord, shape: LayerShape): Promise<CurrentLayerTile | null> {
    let rows: { version: number; same: boolean; mvt: Buffer | null; merged: number }[];
    if (this.prepared && tile.z >= PREPARED_MIN_ZOOM) {
      const p = this.preparedTile(source, tile, shape);
      const values = tileValues(tile);
      rows = await this.prepared(p.name, p.text, p.slots.map((slot, i) => (slot ? values[slot] : p.constants[i])));
    } else {
      rows = (await currentQuery(source, tile, shape, tile.z).execute(this.db)).rows;
    }
    const row = rows[0];
    if (!row) return null;
    return { version: row.version, same: row.same, mvt: row.mvt, merged: row.merged };
  }

  private preparedTile(source: TileLayerSource, tile: TileCoord, shape: LayerShape): PreparedTile {
    const policy = source.generalisation;
    const rules = merges(policy, tile.z) ? 'bulk' : snaps(policy, tile.z) ? 'snap' : generalises(policy, tile.z) ? 'kept' : 'exact';
    let byRules = this.statements.get(shape);
    if (!byRules) this.statements.set(shape, (byRules = new Map()));
    const known = byRules.get(rules);
    if (known) return known;
    const [a, b] = SENTINELS.map((t) => currentQuery(source, t, shape, tile.z).compile(this.db));
    if (a.sql !== b.sql || a.parameters.length !== b.parameters.length) throw new Error('tile statement text depends on the tile');
    const marks = new Map<unknown, keyof TileValues>(Object.entries(tileValues(SENTINELS[0])).map(([k, v]) => [v, k as keyof TileValues]));
    const slots = a.parameters.map((v, i) => {
      if (v === b.parameters[i]) return undefined; // a constant
      const slot = marks.get(v);
      if (!slot) throw new Error(`tile statement parameter ${i + 1} varies with the tile but is none of z, x, y, px, px²`);
      return slot;
    });
    const p: PreparedTile = {
      name: `tile_${createHash('sha1').update(a.sql).digest('hex').slice(0, 20)}`,
      text: a.sql,
      slots,
      constants: a.parameters,
    };
    byRules.set(rules, p);
    return p;
  }

  async render(sources: TileLayerSource[], tile: TileCoord): Promise<RenderedTile> {
    // ST_AsMVT layers concatenate into one valid tile (MVT is a repeated `layers` field).
    // The rows OF each source's version, never `valid_to is null`: the version was read in an
    // earlier statement, and a write committed since would be drawn under the older stamp (cached,
    // immutable). Only renderCurrent may read the current rows: it reads the version in the same snapshot.
    const parts = await Promise.all(sources.map((s) => layerQuery({ ...s, current: false }, tile).execute(this.db)));
    const buffers: Buffer[] = [];
    const merged: Record<string, number> = {};
    parts.forEach((r, i) => {
      const row = r.rows[0];
      if (row?.mvt && row.mvt.length) buffers.push(row.mvt);
      if (row?.merged) merged[sources[i].layerId] = row.merged;
    });
    return { body: buffers.length === 1 ? Buffer.from(buffers[0]) : Buffer.concat(buffers), merged };
  }
}
