/**
 * geojson-vt + vt-pbf over a per-layer, per-version in-memory index: the only engine on
 * embedded PGlite (its PostGIS has no protobuf), and a candidate for low zooms on PostgreSQL
 * where ST_AsMVT must touch every feature of a large tile. An index is keyed by layer@version,
 * so a write (new version) can never be served from a stale index.
 */
import GeoJSONVT from 'geojson-vt';
import { LRUCache } from 'lru-cache';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import vtpbf from 'vt-pbf';
import type { Schema } from '../db/schema.js';
import type { TileCoord } from './tile-math.js';
import { MVT_BUFFER, MVT_EXTENT, type TileEngine, type TileLayerSource, type TileProperty } from './tile-source.js';

type Index = InstanceType<typeof GeoJSONVT>;

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

export class GeojsonVtTileEngine implements TileEngine {
  readonly name = 'geojson-vt' as const;
  private readonly indexes: LRUCache<string, Promise<Index>>;

  /** @param maxIndexes how many layer@version indexes to keep (each ~55 MB per 50k parcels) */
  constructor(
    private readonly db: Kysely<Schema>,
    maxIndexes = 24,
  ) {
    this.indexes = new LRUCache({ max: maxIndexes });
  }

  private index(source: TileLayerSource): Promise<Index> {
    const key = `${source.layerId}@${source.version}:${source.properties.map((p) => p.name).join(',')}`;
    let pending = this.indexes.get(key);
    if (!pending) {
      pending = this.build(source);
      pending.catch(() => this.indexes.delete(key));
      this.indexes.set(key, pending);
    }
    return pending;
  }

  private async build(source: TileLayerSource): Promise<Index> {
    const visible = source.current
      ? sql`f.valid_to is null`
      : sql`f.valid_from <= ${source.version} and (f.valid_to is null or f.valid_to > ${source.version})`;
    // One text blob per layer: PostGIS writes the GeoJSON, Node parses it once.
    const rows = await sql<{ fc: string | null }>`
      select json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
        'type', 'Feature', 'id', f.id, 'geometry', ST_AsGeoJSON(f.geom, 9)::json, 'properties', ${tagsSql(source.properties)})), '[]'::json))::text as fc
      from features f where f.layer_id = ${source.layerId} and ${visible}`.execute(this.db);
    const data = JSON.parse(rows.rows[0]?.fc ?? '{"type":"FeatureCollection","features":[]}');
    return new GeoJSONVT(data, { maxZoom: 14, indexMaxZoom: 5, tolerance: 1, extent: MVT_EXTENT, buffer: MVT_BUFFER });
  }

  async render(sources: TileLayerSource[], tile: TileCoord): Promise<Buffer> {
    const layers: Record<string, { features: unknown[] }> = {};
    for (const source of sources) {
      const t = (await this.index(source)).getTile(tile.z, tile.x, tile.y);
      if (t && t.features.length) layers[source.layerId] = t;
    }
    if (Object.keys(layers).length === 0) return Buffer.alloc(0);
    return Buffer.from(vtpbf.fromGeojsonVt(layers as never, { version: 2, extent: MVT_EXTENT }));
  }
}
