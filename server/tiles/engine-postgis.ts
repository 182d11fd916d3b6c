/**
 * PostGIS engine: ST_AsMVT over an index-friendly envelope filter, as Martin does. The SQL per
 * layer shape is built once and cached; z/x/y, the layer id and the version are bound.
 * The envelope test uses the stored, GiST-indexed EPSG:3857 column, so no per-row transform.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { TileCoord } from './tile-math.js';
import { MVT_BUFFER, MVT_EXTENT, type TileEngine, type TileLayerSource, type TileProperty } from './tile-source.js';

/** typed MVT values: numbers stay numbers; a value of the wrong JSON type is left out, not an error */
function propertyValue(p: TileProperty): RawBuilder<unknown> {
  if (p.type === 'number' || p.type === 'integer') {
    return sql`case when jsonb_typeof(f.properties->${p.name}) = 'number' then (f.properties->>${p.name})::float8 end`;
  }
  if (p.type === 'boolean') return sql`case when jsonb_typeof(f.properties->${p.name}) = 'boolean' then (f.properties->>${p.name})::boolean end`;
  return sql`f.properties->>${p.name}`;
}

function layerQuery(source: TileLayerSource, tile: TileCoord): RawBuilder<{ mvt: Buffer }> {
  const props = source.properties.map((p) => sql`${propertyValue(p)} as ${sql.id(p.name)}`);
  const visible = source.current
    ? sql`f.valid_to is null`
    : sql`f.valid_from <= ${source.version} and (f.valid_to is null or f.valid_to > ${source.version})`;
  const { z, x, y } = tile;
  // The canonical shape (as Martin and docs/performance.md): envelopes inline, no CTE join, so the
  // planner sees constant envelopes and drives the GiST index on geom_3857 directly.
  const env = sql`ST_TileEnvelope(${z}::int, ${x}::int, ${y}::int)`;
  return sql<{ mvt: Buffer }>`
    select ST_AsMVT(q, ${source.layerId}::text, ${MVT_EXTENT}::int, 'geom', 'mvt_id') as mvt from (
      select f.id as mvt_id, f.fid ${props.length ? sql`, ${sql.join(props)}` : sql``},
             ST_AsMVTGeom(f.geom_3857, ${env}, ${MVT_EXTENT}::int, ${MVT_BUFFER}::int, true) as geom
      from features f
      where f.layer_id = ${source.layerId} and ${visible}
        and f.geom_3857 && ST_TileEnvelope(${z}::int, ${x}::int, ${y}::int, margin => ${MVT_BUFFER / MVT_EXTENT}::float8)
    ) q`; // no "where geom is not null": a flattened subquery would clip every feature twice; ST_AsMVT skips nulls
}

export class PostgisTileEngine implements TileEngine {
  readonly name = 'postgis' as const;
  constructor(private readonly db: Kysely<Schema>) {}

  async render(sources: TileLayerSource[], tile: TileCoord): Promise<Buffer> {
    // ST_AsMVT layers concatenate into one valid tile (MVT is a repeated `layers` field).
    const parts = await Promise.all(sources.map((s) => layerQuery(s, tile).execute(this.db)));
    const buffers = parts.map((r) => r.rows[0]?.mvt).filter((b): b is Buffer => Boolean(b && b.length));
    return buffers.length === 1 ? Buffer.from(buffers[0]) : Buffer.concat(buffers);
  }
}
