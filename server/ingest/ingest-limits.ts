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
  /** a GeoPackage is loaded whole into sql.js (SQLite in WebAssembly memory) */
  geopackageBytes: number;
  /** a KML document (also the .kml inside a KMZ) is parsed whole into a DOM */
  kmlBytes: number;
  /** the heap of the worker that parses it (MB); over it → 413 */
  kmlHeapMb: number;
}

export const MAX_TOTAL_VERTICES = 50_000_000; // ~1.6 GB of staged coordinates at most
export const ZIP_EXPANSION = 10; // zipUncompressedBytes = 10 × uploadBytes: shapefiles compress 2–8×
export const ZIP_MAX_ENTRIES = 1_000; // a shapefile zip holds tens of entries; thousands mean abuse
/**
 * JSON.parse holds the whole document: measured ~5.5 MB of RSS per MiB of GeoJSON polygons, so
 * 48 MiB keeps the server under 500 MB; larger data comes as a zipped shapefile (streamed).
 */
export const GEOJSON_MAX_BYTES = 48 * 1024 * 1024;
/**
 * sql.js copies the whole GeoPackage into its WebAssembly memory (which never shrinks: the
 * process keeps that much after the upload) and rows are read STAGE_BATCH at a time. Measured
 * with a real server: a 71 MB GeoPackage of 300,000 polygons peaked at 368 MB RSS (from 147 MB;
 * 25 MB / 100,000 polygons: 288 MB) — ~3 MB per MB of file, so 80 MiB keeps the server under
 * 500 MB. Larger data comes as a zipped shapefile (streamed).
 */
export const GEOPACKAGE_MAX_BYTES = 80 * 1024 * 1024;
/**
 * xmldom builds a DOM of the whole KML and togeojson walks it, in a worker thread with a 256 MB
 * heap (kml-read.ts). Measured with a real server: a 6.2 MB KML of 8,900 polygons took 8.2 s and
 * peaked at 440 MB RSS (from 157 MB) while /healthz answered within 222 ms; 4.0 MB parsed on the
 * event loop (before the worker) peaked at 499 MB and stalled /healthz for 3.1 s. KML is for field
 * surveys and hand-drawn parcels — larger data comes as GeoPackage or shapefile.
 */
export const KML_MAX_BYTES = 6 * 1024 * 1024;
/** heap of the KML worker: its DOM takes ~35× the file (kmlBytes 6 MiB → ~210 MB) */
export const KML_WORKER_HEAP_MB = 256;
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
    geopackageBytes: Math.min(limits.uploadBytes, GEOPACKAGE_MAX_BYTES),
    kmlBytes: Math.min(limits.uploadBytes, KML_MAX_BYTES),
    kmlHeapMb: KML_WORKER_HEAP_MB,
  };
}
