/**
 * The one seam between tile routes and tile engines. A source is one layer at one version;
 * an engine turns sources + z/x/y into MVT bytes. Both engines (PostGIS ST_AsMVT and
 * geojson-vt over an in-memory index) must produce the same decoded features — a test holds them to it.
 */
import type { GeneralisationPolicy } from './generalisation.js';
import type { TileCoord } from './tile-math.js';

export interface TileLayerSource {
  layerId: string;
  /** the version to draw; the current one unless an "as of" read asked for another */
  version: number;
  /** true when `version` is the layer's current version (lets engines use current-row indexes) */
  current: boolean;
  /** attributes carried as MVT properties (plus `fid`, the feature id as a string) */
  properties: TileProperty[];
  /** how the layer is generalised below z14 (generalisation.ts); data, from tile_generalisation */
  generalisation: GeneralisationPolicy;
  /**
   * the attribute drawn as the label when the layer has label points (hasLabelPoints), else null:
   * the tile then also carries the MVT layer labelLayerName(layerId), one point per feature
   */
  label: string | null;
}

export interface TileProperty {
  name: string;
  type: 'string' | 'number' | 'integer' | 'boolean' | 'date';
}

/** names an attribute may not take in a tile: they are the tile's own columns */
export const RESERVED_TILE_PROPERTIES = new Set(['fid', 'geom', 'mvt_id', 'merged']);

/**
 * MVT layer name of a layer's label points. "_" never occurs in a layer id (ids are [a-z0-9-]),
 * so the name cannot collide with another layer's MVT layer in a composite tile.
 */
export const LABEL_LAYER_SUFFIX = '_label';
export const labelLayerName = (layerId: string): string => `${layerId}${LABEL_LAYER_SUFFIX}`;

/**
 * Which layers carry label points — data, not ids: a layer with a label attribute (layers.label_field)
 * whose features are polygons. A point layer's label sits on its points, so it needs none.
 * Migration 008 stores the points (tile_label_points) for the polygons of every labelled layer.
 */
export function hasLabelPoints(layer: { labelField: string | null; geometryType: string }): boolean {
  return layer.labelField !== null && /Polygon$/.test(layer.geometryType);
}

export const MVT_EXTENT = 4096;
/** pixels of buffer around each tile, in tile units at extent 4096 (as Martin: 64) */
export const MVT_BUFFER = 64;

export interface RenderedTile {
  /** one MVT with one MVT layer per source (layer name = layer id), each followed by its label layer when it has one; empty when nothing */
  body: Buffer;
  /** per bulk layer, sub-pixel parcels merged into pixel cells in this tile (only counts > 0) */
  merged: Record<string, number>;
}

export interface TileEngine {
  readonly name: 'postgis' | 'geojson-vt';
  render(sources: TileLayerSource[], tile: TileCoord): Promise<RenderedTile>;
}
