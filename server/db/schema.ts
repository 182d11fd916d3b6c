/**
 * Row types of the database (kysely). Rows are not API objects: map them with named
 * functions (toLayerSummary, …) before they leave a service.
 * Geometry columns are never selected raw: they leave as GeoJSON (ST_AsGeoJSON) or MVT.
 */
import type { ColumnType, Generated } from 'kysely';

export interface LayersTable {
  id: string;
  title: string;
  kind: string;
  group_title: string | null;
  geometry_type: string;
  description: string | null;
  attributes: ColumnType<AttributeDef[], string, string>;
  label_field: string | null;
  style: ColumnType<Record<string, unknown>, string, string>;
  minzoom: number;
  sort_order: number;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface AttributeDef {
  name: string;
  label: string;
  type: 'string' | 'number' | 'integer' | 'boolean' | 'date';
  required?: boolean;
}

export interface LayerVersionsTable {
  layer_id: string;
  version: number;
  created_at: Generated<Date>;
  author: string;
  note: string | null;
  source: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  added: number;
  removed: number;
  changed: number;
  feature_count: number;
  /** [minLon, minLat, maxLon, maxLat] of the version, EPSG:4490 degrees */
  extent: number[] | null;
  restored_from: number | null;
}

export interface FeaturesTable {
  id: Generated<string>;
  layer_id: string;
  fid: string;
  properties: ColumnType<Record<string, unknown>, string, string>;
  /** geometry(Geometry, 4490); written with ST_GeomFromGeoJSON, read with ST_AsGeoJSON */
  geom: unknown;
  /** generated: ST_Transform(geom, 3857) for tiles */
  geom_3857: unknown;
  valid_from: number;
  valid_to: number | null;
}

export interface AuditTable {
  id: Generated<string>;
  at: Generated<Date>;
  actor: string;
  role: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  result: string;
  details: ColumnType<Record<string, unknown> | null, string | null, string | null>;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: Generated<Date>;
}

export interface TokensTable {
  id: Generated<string>;
  name: string;
  role: string;
  hash: string;
  created_at: Generated<Date>;
  created_by: string | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export interface Schema {
  tokens: TokensTable;
  layers: LayersTable;
  layer_versions: LayerVersionsTable;
  features: FeaturesTable;
  audit: AuditTable;
  meta: MetaTable;
  schema_migrations: SchemaMigrationsTable;
}
