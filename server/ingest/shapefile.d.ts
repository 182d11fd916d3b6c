/** Types for mbostock's `shapefile` 0.6 (no published typings): only what ingest uses. */
declare module 'shapefile' {
  import type { Geometry } from 'geojson';
  export interface ShapefileSource {
    bbox: [number, number, number, number];
    read(): Promise<{ done: boolean; value: { type: 'Feature'; properties: Record<string, unknown> | undefined; geometry: Geometry | null } }>;
    cancel(): Promise<void>;
  }
  /** paths (Node: streamed from disk) or buffers; `encoding` is a TextDecoder label for the .dbf */
  export function open(shp: string | Uint8Array, dbf?: string | Uint8Array, options?: { encoding?: string; highWaterMark?: number }): Promise<ShapefileSource>;
}
