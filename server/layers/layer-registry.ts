/**
 * The layer registry: layer definitions and their mapping to API objects.
 * Layer ids are the public contract (domain.md §1); identifiers used in SQL come only from here.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import { NotFoundError } from '../errors.js';
import type { AttributeDef, LayersTable, Schema } from '../db/schema.js';

export type LayerKind = 'admin' | 'zone' | 'block' | 'right' | 'constraint' | 'other';

/** A layer definition as written in data/geojson/layers.json and accepted by POST /api/layers. */
export interface LayerDefinition {
  id: string;
  title: string;
  kind: LayerKind;
  group?: string | null;
  geometryType: string;
  description?: string | null;
  attributes?: AttributeDef[];
  labelField?: string | null;
  style?: Record<string, unknown>;
  minzoom?: number;
}

export interface LayerSummary {
  id: string;
  title: string;
  kind: string;
  group: string | null;
  geometryType: string;
  featureCount: number;
  version: number;
  /** [minLon, minLat, maxLon, maxLat], EPSG:4490 degrees; null for an empty layer */
  bbox: [number, number, number, number] | null;
  updatedAt: string;
}

export interface LayerDetail extends LayerSummary {
  description: string | null;
  attributes: AttributeDef[];
  labelField: string | null;
  style: Record<string, unknown>;
  minzoom: number;
}

type LayerRow = Selectable<LayersTable> & { feature_count: number; extent: number[] | null };

export function toLayerSummary(row: LayerRow): LayerSummary {
  return {
    id: row.id,
    title: row.title,
    kind: row.kind,
    group: row.group_title,
    geometryType: row.geometry_type,
    featureCount: row.feature_count,
    version: row.version,
    bbox: row.extent && row.extent.length === 4 ? [row.extent[0], row.extent[1], row.extent[2], row.extent[3]] : null,
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export function toLayerDetail(row: LayerRow): LayerDetail {
  return {
    ...toLayerSummary(row),
    description: row.description,
    attributes: row.attributes,
    labelField: row.label_field,
    style: row.style,
    minzoom: row.minzoom,
  };
}

function layerQuery(db: Kysely<Schema>) {
  // Count and extent were recorded with the current version at write time: no feature scan here.
  return db
    .selectFrom('layers as l')
    .leftJoin('layer_versions as lv', (j) => j.onRef('lv.layer_id', '=', 'l.id').onRef('lv.version', '=', 'l.version'))
    .selectAll('l')
    .select([sql<number>`coalesce(lv.feature_count, 0)`.as('feature_count'), 'lv.extent as extent'])
    .orderBy('l.sort_order')
    .orderBy('l.id');
}

export async function listLayers(db: Kysely<Schema>): Promise<LayerSummary[]> {
  return (await layerQuery(db).execute()).map(toLayerSummary);
}

/** Every layer with its attribute schema and style, in one query (style, viewer). */
export async function listLayerDetails(db: Kysely<Schema>): Promise<LayerDetail[]> {
  return (await layerQuery(db).execute()).map(toLayerDetail);
}

export async function getLayer(db: Kysely<Schema>, id: string): Promise<LayerDetail> {
  const row = await layerQuery(db).where('l.id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError(`图层不存在 (no layer "${id}")`, { layer: id });
  return toLayerDetail(row);
}

/** The light row (no counts): for write paths and per-request version lookups. */
export async function getLayerRow(db: Kysely<Schema>, id: string): Promise<Selectable<LayersTable>> {
  const row = await db.selectFrom('layers').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError(`图层不存在 (no layer "${id}")`, { layer: id });
  return row;
}

export async function insertLayer(db: Kysely<Schema>, def: LayerDefinition, sortOrder = 0): Promise<void> {
  await db
    .insertInto('layers')
    .values({
      id: def.id,
      title: def.title,
      kind: def.kind,
      group_title: def.group ?? null,
      geometry_type: def.geometryType,
      description: def.description ?? null,
      attributes: JSON.stringify(def.attributes ?? []),
      label_field: def.labelField ?? null,
      style: JSON.stringify(def.style ?? {}),
      minzoom: def.minzoom ?? 0,
      sort_order: sortOrder,
    })
    .execute();
}
