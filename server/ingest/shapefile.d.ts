/** Types for mbostock's `shapefile` 0.6 (no published typings): only what ingest uses. */
declare module 'shapefile' {
  import type { Geometry } from 'geojson';
  export interface ShapefileSource {
    bbox: [number, number, number, number];
    read(): Promise<{ done: boolean; value: { type: 'Feature'; properties: Record<string, unknown> | undefined; geometry: Geometry | null } }>;
    cancel(): Promise<void>;
  }
  /** paths (Node: streamed from disk) or buffers; `encoding` is a TextDecoder label for the .dbf */
  export interface ShpSource {
    bbox: [number, number, number, number];
    /** one geometry (null for a Null shape) per record */
    read(): Promise<{ done: boolean; value: Geometry | null }>;
    cancel(): Promise<void>;
  }
  /** the .shp alone (geometry only), streamed from disk */
  export function openShp(shp: string | Uint8Array, options?: { highWaterMark?: number }): Promise<ShpSource>;
  export function open(shp: string | Uint8Array, dbf?: string | Uint8Array, options?: { encoding?: string; highWaterMark?: number }): Promise<ShapefileSource>;
}
