/**
 * Loading GeoJSON layers into PostGIS tables `ds_<layer_id>` (id text, props jsonb,
 * geom geometry(Geometry, 4490)), for the generator's own computations and for the checks.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Feature, FeatureCollection } from 'geojson';
import type { SqlClient } from './db.ts';

export function tableName(layerId: string): string {
  if (!/^[a-z][a-z-]*$/.test(layerId)) throw new Error(`bad layer id ${layerId}`);
  return 'ds_' + layerId.replace(/-/g, '_');
}

/** (Re)creates the layer's table and inserts the features (in chunks, as one JSON parameter each). */
export async function loadFeatures(db: SqlClient, layerId: string, features: readonly Feature[]): Promise<void> {
  const t = tableName(layerId);
  await db.query(`DROP TABLE IF EXISTS ${t}`);
  await db.query(`CREATE TABLE ${t} (id text PRIMARY KEY, props jsonb NOT NULL, geom geometry(Geometry, 4490) NOT NULL)`);
  for (let i = 0; i < features.length; i += 4000) {
    const chunk = features.slice(i, i + 4000).map((f) => ({ id: f.id, properties: f.properties, geometry: f.geometry }));
    await db.query(
      `INSERT INTO ${t} (id, props, geom)
       SELECT f->>'id', f->'properties', ST_SetSRID(ST_GeomFromGeoJSON(f->'geometry'), 4490)
       FROM json_array_elements($1::json) f`,
      [JSON.stringify(chunk)],
    );
  }
  await db.query(`CREATE INDEX ${t}_gix ON ${t} USING gist (geom)`);
  await db.query(`ANALYZE ${t}`);
}

export function readLayerFile(dir: string, layerId: string): FeatureCollection {
  return JSON.parse(readFileSync(path.join(dir, `${layerId}.geojson`), 'utf8')) as FeatureCollection;
}

/** Loads every listed layer from `<dir>/<id>.geojson`; returns the parsed collections too. */
export async function loadDataset(db: SqlClient, dir: string, layerIds: readonly string[]): Promise<Map<string, FeatureCollection>> {
  const out = new Map<string, FeatureCollection>();
  for (const id of layerIds) {
    const fc = readLayerFile(dir, id);
    await loadFeatures(db, id, fc.features);
    out.set(id, fc);
  }
  return out;
}
