/**
 * Bounds on uploads. The first three come from config (MAX_UPLOAD_BYTES, MAX_VERTICES,
 * MAX_FEATURES); the rest are ingest's own, named here and in every 413 they cause
 * (`details.limit`), so an operator can tell which bound a file hit.
 */
import type { Config } from '../config.js';

export interface IngestLimits {
  /** bytes of the uploaded file (config MAX_UPLOAD_BYTES) */
  uploadBytes: number;
  /** vertices in one feature (config MAX_VERTICES) */
  maxVertices: number;
  /** features in one file (config MAX_FEATURES) */
  maxFeatures: number;
  /** vertices in the whole file */
  maxTotalVertices: number;
  /** sum of the uncompressed sizes of the zip entries we extract (declared and counted) */
  zipUncompressedBytes: number;
  /** entries in one zip, directories included */
  zipEntries: number;
  /** a GeoJSON file is parsed whole (JSON.parse), so its bytes are bounded separately */
  geojsonBytes: number;
  /** a TXT file is parsed whole */
  txtBytes: number;
}

export const MAX_TOTAL_VERTICES = 50_000_000; // ~1.6 GB of staged coordinates at most
export const ZIP_EXPANSION = 10; // zipUncompressedBytes = 10 × uploadBytes: shapefiles compress 2–8×
export const ZIP_MAX_ENTRIES = 1_000; // a shapefile zip holds tens of entries; thousands mean abuse
/**
 * JSON.parse holds the whole document: measured ~5.5 MB of RSS per MiB of GeoJSON polygons, so
 * 48 MiB keeps the server under 500 MB; larger data comes as a zipped shapefile (streamed).
 */
export const GEOJSON_MAX_BYTES = 48 * 1024 * 1024;
export const TXT_MAX_BYTES = 10 * 1024 * 1024; // parcel-coordinates.ts's own default
/** rows per staging INSERT (one statement: WKB in one bytea, the rest as arrays; see ingest-staging.ts) */
export const STAGE_BATCH = 5_000;
/** problems listed in one report; the counts are always complete */
export const MAX_REPORTED_PROBLEMS = 1_000;

export function ingestLimits(limits: Config['limits']): IngestLimits {
  return {
    uploadBytes: limits.uploadBytes,
    maxVertices: limits.maxVertices,
    maxFeatures: limits.maxFeatures,
    maxTotalVertices: MAX_TOTAL_VERTICES,
    zipUncompressedBytes: limits.uploadBytes * ZIP_EXPANSION,
    zipEntries: ZIP_MAX_ENTRIES,
    geojsonBytes: Math.min(limits.uploadBytes, GEOJSON_MAX_BYTES),
    txtBytes: Math.min(limits.uploadBytes, TXT_MAX_BYTES),
  };
}
