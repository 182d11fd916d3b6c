/**
 * geojson-vt + vt-pbf over a per-layer, per-version in-memory index: the only engine on
 * embedded PGlite (its PostGIS has no protobuf), and a candidate for low zooms on PostgreSQL
 * where ST_AsMVT must touch every feature of a large tile. An index is keyed by layer@version,
 * so a write (new version) can never be served from a stale index.
 *
 * The index keeps exact geometry (tolerance 0: geojson-vt's per-feature Douglas-Peucker would
 * open gaps between neighbours); below z14 each cut tile is generalised by the shared rules of
 * generalisation.ts. Each feature carries its EPSG:3857 area and bbox centre, computed by PostGIS
 * exactly as the PostGIS engine does, so both engines take the same keep/square/thin decisions.
 * A labelled layer has a second, point index over its stored label points (migration 008, the
 * same points the PostGIS engine reads), cut into the MVT layer "<layer id>_label".
 */
import GeoJSONVT from 'geojson-vt';
import { LRUCache } from 'lru-cache';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import vtpbf from 'vt-pbf';
import type { Schema } from '../db/schema.js';
import { cellRunRing, drawnCellRuns, generalises, merges, MERGED_PROPERTY, pixelCell, pixelMetres, pixelSquare, PIXEL_UNITS, rectRing, ringArea2, snapLines, snapPolygonRings, snaps } from './generalisation.js';
import { MAX_ZOOM, type TileCoord } from './tile-math.js';
import { labelLayerName, MVT_BUFFER, MVT_EXTENT, type RenderedTile, type TileEngine, type TileLayerSource, type TileProperty } from './tile-source.js';

type Index = InstanceType<typeof GeoJSONVT>;
type Ring = [number, number][];
interface CutFeature {
  id?: number | string;
  type: 1 | 2 | 3;
  geometry: Ring[] | Ring;
  tags: Record<string, unknown> | null;
}

/** per feature id: EPSG:3857 area and bbox centre (as the PostGIS engine computes them) */
type Measures = Map<number, { a: number; cx: number; cy: number; p: number }>;
interface LayerIndex {
  vt: Index;
  measures: Measures;
  /** the layer's label points, when it has them */
  labels: Index | null;
  /** estimated heap of the index when built (tiles geojson-vt cuts later add to it) */
  bytes: number;
  /** the cut tiles counted so far (positions in tileCoords of vt and labels) and their points */
  cut: { vt: number; labels: number; points: number };
}

/**
 * The heap the tiles one index has cut may take before the index is dropped and built afresh: as
 * much as the index itself (so a rebuild, which costs in proportion to the layer, comes at most
 * once per index-size of cutting), and at least CUT_BYTES_MIN (small layers rebuild in moments).
 */
const CUT_BYTES_MIN = 64 * 1024 * 1024;
/** heap per point of a cut tile's geometry (two numbers in JS arrays, with their share of the feature objects) */
const CUT_BYTES_PER_POINT = 40;

/** geojson-vt's public tile store (`tiles`, `tileCoords`: "part of the public API" in its source) */
interface TileStore {
  tiles: Record<number, { numPoints: number }>;
  tileCoords: { z: number; x: number; y: number }[];
}
/** points of the tiles `vt` has cut since `from` (an index into tileCoords), and where to go on from */
function newCutPoints(vt: Index, from: number): { points: number; next: number } {
  const store = vt as unknown as TileStore;
  let points = 0;
  for (let i = from; i < store.tileCoords.length; i++) {
    const { z, x, y } = store.tileCoords[i];
    points += store.tiles[((1 << z) * y + x) * 32 + z]?.numPoints ?? 0; // geojson-vt's toID
  }
  return { points, next: store.tileCoords.length };
}

/** heap per byte of the layer's GeoJSON text, measured: bench:tiles' 199k parcels, 80 MB of text, +720 MB of heap */
const INDEX_BYTES_PER_TEXT_BYTE = 9;

function tagsSql(properties: TileProperty[]): RawBuilder<unknown> {
  // Same typing rules as the PostGIS engine: numbers stay numbers, wrong types are left out.
  const pairs = properties.flatMap((p) => {
    const v =
      p.type === 'number' || p.type === 'integer'
        ? sql`case when jsonb_typeof(f.properties->${p.name}) = 'number' then f.properties->${p.name} end`
        : p.type === 'boolean'
          ? sql`case when jsonb_typeof(f.properties->${p.name}) = 'boolean' then f.properties->${p.name} end`
          : sql`to_jsonb(f.properties->>${p.name})`;
    return [sql`${p.name}::text`, v];
  });
  return sql`jsonb_strip_nulls(jsonb_build_object('fid', f.fid${pairs.length ? sql`, ${sql.join(pairs)}` : sql``}))`;
}

/** which rows of the layer are drawn: the current ones, or those of an older version */
function visibleRows(source: TileLayerSource): RawBuilder<unknown> {
  // Always the rows OF the version the index is keyed by, current or not: `valid_to is null`
  // read in a later snapshot (a build can wait behind another) would put a newer version's rows
  // into an index stamped with the older one, and its tiles are served as immutable (found by a review).
  return sql`f.valid_from <= ${source.version} and (f.valid_to is null or f.valid_to > ${source.version})`;
}

/** does a rectangle (tile units) overlap the tile plus its buffer? (else ST_AsMVTGeom clips it away) */
function inBuffer(rect: Ring): boolean {
  const [x0, y0] = rect[0];
  const [x1, y1] = rect[2];
  return x1 > -MVT_BUFFER && x0 < MVT_EXTENT + MVT_BUFFER && y1 > -MVT_BUFFER && y0 < MVT_EXTENT + MVT_BUFFER;
}

/** a rectangle clipped to the tile plus its buffer, as ST_AsMVTGeom clips */
function clipRect(rect: Ring): Ring {
  const c = (v: number) => Math.min(MVT_EXTENT + MVT_BUFFER, Math.max(-MVT_BUFFER, v));
  return rectRing(c(rect[0][0]), c(rect[0][1]), c(rect[2][0]), c(rect[2][1]));
}

/** generalise one cut tile layer in place of geojson-vt's simplification (see generalisation.ts) */
function generaliseLayer(features: CutFeature[], measures: Measures, source: TileLayerSource, tile: TileCoord): { features: CutFeature[]; merged: number } {
  const px2 = pixelMetres(tile.z) ** 2;
  const bulk = merges(source.generalisation, tile.z);
  const snapping = snaps(source.generalisation, tile.z);
  const out: CutFeature[] = [];
  const cells = new Map<string, { col: number; row: number; areaPx: number }>();
  let merged = 0;
  for (const f of features) {
    if (f.type === 1) out.push(f);
    else if (f.type === 2) out.push(snapping ? { ...f, geometry: snapLines(f.geometry as Ring[]) } : f);
    else {
      const m = measures.get(Number(f.id))!;
      const areaPx = m.a / px2;
      if (bulk && areaPx < 1) {
        merged++;
        const [col, row] = pixelCell(m.cx, m.cy, tile.z);
        const key = `${col},${row}`;
        const cell = cells.get(key);
        if (cell) cell.areaPx += areaPx;
        else cells.set(key, { col, row, areaPx });
        continue;
      }
      // z12–13: exact (the 4096 grid) unless nothing with area is left — the rings' net (signed)
      // area, so a hole that leaves only a zero-width strip counts — as ST_AsMVTGeom returns NULL then; the pixel only for a feature of under a pixel² (as in SQL), not for a sliver of a large one
      const snapped = snapping ? snapPolygonRings(f.geometry as Ring[]) : (f.geometry as Ring[]).reduce((net, r) => net + ringArea2(r), 0) !== 0 ? (f.geometry as Ring[]) : [];
      if (snapped.length) out.push({ ...f, geometry: snapped });
      else if (snapping || areaPx < 1) {
        const square = pixelSquare(m.cx, m.cy, tile);
        if (inBuffer(square)) out.push({ ...f, geometry: [clipRect(square)] });
      } else if (2 * m.a < pixelMetres(tile.z) * m.p && (f.geometry as Ring[])[0]?.length) {
        // narrower than a pixel on average (as in SQL): the pixel at a point of its cut part, on it
        const [u, v] = (f.geometry as Ring[])[0][0];
        const c = Math.floor(u / PIXEL_UNITS) * PIXEL_UNITS;
        const r = Math.floor(v / PIXEL_UNITS) * PIXEL_UNITS;
        out.push({ ...f, geometry: [clipRect(rectRing(c, r, c + PIXEL_UNITS, r + PIXEL_UNITS))] });
      }
    }
  }
  for (const [col0, col1, row] of drawnCellRuns(cells.values())) {
    const rect = cellRunRing(col0, col1, row, tile);
    if (inBuffer(rect)) out.push({ type: 3, geometry: [clipRect(rect)], tags: { [MERGED_PROPERTY]: true } });
  }
  return { features: out, merged };
}

export class GeojsonVtTileEngine implements TileEngine {
  readonly name = 'geojson-vt' as const;
  /**
   * layer@version indexes, bounded by their estimated heap (not their number: one old version of a
   * 200k-parcel layer is ~700 MB, and `?version=` lets any client ask for any version — found by a
   * review). An index counts 1 while it is built, then its estimate; one larger than the bound is
   * counted as the bound, so it is kept alone.
   */
  private readonly indexes: LRUCache<string, Promise<LayerIndex>>;
  /** builds run one at a time: N requests for N versions do not hold N indexes half-built at once */
  private building: Promise<unknown> = Promise.resolve();

  /** indexes dropped (to be rebuilt) because their cut tiles reached their bound */
  private dropped = 0;

  /**
   * @param maxIndexBytes the indexes' estimated heap at most (default 1 GiB)
   * @param maxCutBytes the estimated heap of the tiles one index may cut and keep (geojson-vt
   *   keeps every tile it cuts while drilling down to a requested one, so a client walking deep
   *   tiles grew an index without bound); default: the index's own size, at least 64 MB. At the
   *   bound the index is dropped, and the next request builds it afresh
   */
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly maxIndexBytes = 1024 * 1024 * 1024,
    private readonly maxCutBytes?: number,
  ) {
    this.indexes = new LRUCache({ maxSize: maxIndexBytes, sizeCalculation: () => 1 });
  }

  /** indexes dropped at their cut-tile bound so far (for tests and metrics) */
  get droppedIndexes(): number {
    return this.dropped;
  }

  /** the indexes' estimated heap now (for tests and metrics) */
  get indexBytes(): number {
    return this.indexes.calculatedSize;
  }

  private key(source: TileLayerSource): string {
    return `${source.layerId}@${source.version}:${source.properties.map((p) => p.name).join(',')}:${source.label ?? ''}`;
  }

  private index(source: TileLayerSource): Promise<LayerIndex> {
    const key = this.key(source);
    let pending = this.indexes.get(key);
    if (!pending) {
      const built = this.building.then(() => this.build(source));
      this.building = built.catch(() => undefined);
      pending = built;
      built.then(
        (index) => {
          if (this.indexes.peek(key) !== built) return;
          this.indexes.delete(key); // lru-cache keeps the old size when the same value is set again
          this.indexes.set(key, built, { size: Math.max(1, Math.min(index.bytes, this.maxIndexBytes)) });
        },
        () => {
          if (this.indexes.peek(key) === built) this.indexes.delete(key); // not a newer build of the same key
        },
      );
      this.indexes.set(key, built);
    }
    return pending;
  }

  private async build(source: TileLayerSource): Promise<LayerIndex> {
    const visible = visibleRows(source);
    // One text blob per layer: PostGIS writes the GeoJSON, Node parses it once.
    const rows = await sql<{ fc: string | null }>`
      select json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
        'type', 'Feature', 'id', f.id, 'geometry', ST_AsGeoJSON(f.geom, 9)::json, 'properties', ${tagsSql(source.properties)},
        'm', json_build_array(ST_Area(f.geom_3857), (ST_XMin(f.geom_3857) + ST_XMax(f.geom_3857)) / 2, (ST_YMin(f.geom_3857) + ST_YMax(f.geom_3857)) / 2, ST_Perimeter(f.geom_3857)))), '[]'::json))::text as fc
      from features f where f.layer_id = ${source.layerId} and ${visible}`.execute(this.db);
    const text = rows.rows[0]?.fc ?? '{"type":"FeatureCollection","features":[]}';
    const data = JSON.parse(text) as { features: { id: number; m?: number[] }[] };
    const measures: Measures = new Map();
    for (const f of data.features) {
      measures.set(f.id, { a: f.m![0], cx: f.m![1], cy: f.m![2], p: f.m![3] });
      delete f.m;
    }
    // tolerance 0: no per-feature simplification (generaliseLayer does it, coherently); maxZoom =
    // the grid's last zoom, so every zoom is cut from exact geometry; indexMaxZoom 0 pre-cuts only
    // z0 and cuts deeper tiles on demand.
    const vt = new GeoJSONVT(data as never, { maxZoom: MAX_ZOOM, indexMaxZoom: 0, tolerance: 0, extent: MVT_EXTENT, buffer: MVT_BUFFER });
    return { vt, measures, labels: source.label ? await this.buildLabels(source) : null, bytes: text.length * INDEX_BYTES_PER_TEXT_BYTE, cut: { vt: 0, labels: 0, points: 0 } };
  }

  /**
   * The layer's stored label points (EPSG:3857, handed to geojson-vt as the lon/lat it projects
   * back to the same metres), with the feature's row id, fid and label attribute.
   */
  private async buildLabels(source: TileLayerSource): Promise<Index> {
    const props = source.properties.filter((p) => p.name === source.label);
    const rows = await sql<{ fc: string | null }>`
      select json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
        'type', 'Feature', 'id', f.id, 'geometry', ST_AsGeoJSON(ST_Transform(p.point, 4326), 9)::json, 'properties', ${tagsSql(props)})), '[]'::json))::text as fc
      from tile_label_points p join features f on f.id = p.feature_id
      where p.layer_id = ${source.layerId} and f.layer_id = ${source.layerId} and ${visibleRows(source)}`.execute(this.db);
    const data = JSON.parse(rows.rows[0]?.fc ?? '{"type":"FeatureCollection","features":[]}');
    return new GeoJSONVT(data as never, { maxZoom: MAX_ZOOM, indexMaxZoom: 0, tolerance: 0, extent: MVT_EXTENT, buffer: MVT_BUFFER });
  }

  async render(sources: TileLayerSource[], tile: TileCoord): Promise<RenderedTile> {
    const layers: Record<string, { features: unknown[] }> = {};
    const merged: Record<string, number> = {};
    for (const source of sources) {
      const index = await this.index(source);
      const t = index.vt.getTile(tile.z, tile.x, tile.y) as { features: CutFeature[] } | null;
      if (t && t.features.length) {
        let features = t.features;
        if (generalises(source.generalisation, tile.z)) {
          const g = generaliseLayer(t.features, index.measures, source, tile);
          features = g.features;
          if (g.merged) merged[source.layerId] = g.merged;
        }
        if (features.length) layers[source.layerId] = { features };
      }
      const labels = index.labels && (index.labels.getTile(tile.z, tile.x, tile.y) as { features: CutFeature[] } | null);
      const a = newCutPoints(index.vt, index.cut.vt);
      const b = index.labels ? newCutPoints(index.labels, index.cut.labels) : { points: 0, next: 0 };
      index.cut = { vt: a.next, labels: b.next, points: index.cut.points + a.points + b.points };
      if (index.cut.points * CUT_BYTES_PER_POINT > (this.maxCutBytes ?? Math.max(index.bytes, CUT_BYTES_MIN))) {
        const key = this.key(source);
        const held = this.indexes.peek(key);
        // only this very index (a newer build of the key is left alone); this render still uses it
        if (held && (await held.catch(() => null)) === index) {
          this.indexes.delete(key);
          this.dropped++;
        }
      }
      if (labels && labels.features.length) {
        // a bulk layer's parcels merged into pixel cells carry no attributes, so no label (as in SQL)
        const px2 = pixelMetres(tile.z) ** 2;
        const merging = merges(source.generalisation, tile.z);
        const kept = merging ? labels.features.filter((f) => !(index.measures.get(Number(f.id))!.a / px2 < 1)) : labels.features;
        if (kept.length) layers[labelLayerName(source.layerId)] = { features: kept };
      }
    }
    if (Object.keys(layers).length === 0) return { body: Buffer.alloc(0), merged };
    return { body: Buffer.from(vtpbf.fromGeojsonVt(layers as never, { version: 2, extent: MVT_EXTENT })), merged };
  }
}
