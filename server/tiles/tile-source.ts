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
}

export interface TileProperty {
  name: string;
  type: 'string' | 'number' | 'integer' | 'boolean' | 'date';
}

/** names an attribute may not take in a tile: they are the tile's own columns */
export const RESERVED_TILE_PROPERTIES = new Set(['fid', 'geom', 'mvt_id', 'merged']);

export const MVT_EXTENT = 4096;
/** pixels of buffer around each tile, in tile units at extent 4096 (as Martin: 64) */
export const MVT_BUFFER = 64;

export interface RenderedTile {
  /** one MVT with one MVT layer per source (layer name = layer id); empty when nothing */
  body: Buffer;
  /** per bulk layer, sub-pixel parcels merged into pixel cells in this tile (only counts > 0) */
  merged: Record<string, number>;
}

export interface TileEngine {
  readonly name: 'postgis' | 'geojson-vt';
  render(sources: TileLayerSource[], tile: TileCoord): Promise<RenderedTile>;
}
