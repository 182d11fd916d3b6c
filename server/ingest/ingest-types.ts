/** The shapes passed between the ingest steps (read → stage → validate → write). */
import type { Geometry } from 'geojson';

export type UploadFormat = 'shapefile' | 'geojson' | 'txt' | 'geopackage' | 'kml';

/** One feature as read from a file: coordinates still in the file's CRS. */
export interface SourceFeature {
  /** 0-based position in the file (the `feature` of every problem) */
  index: number;
  /** 1-based line of a TXT parcel header */
  line?: number;
  id: string | null;
  properties: Record<string, unknown>;
  geometry: Geometry | null;
}

/** The file's CRS, resolved to something ST_Transform understands. */
export interface SourceCrs {
  /** EPSG code; 0 when only `projString` describes it */
  srid: number;
  /** PROJ string for ST_Transform(geom, projString, 4490): Xian 1980 / Beijing 1954 with parameters */
  projString?: string;
  /** human label, e.g. "EPSG:4530 CGCS2000 / 3-degree Gauss-Kruger zone 42" */
  label: string;
  /** degrees (lon/lat) rather than metres */
  geographic: boolean;
  /** where it came from */
  from: 'prj' | 'parameter' | 'geojson' | 'txt' | 'detected' | 'default';
}

/** An opened upload: metadata plus a one-pass feature stream. */
export interface OpenedSource {
  format: UploadFormat;
  crs: SourceCrs;
  encoding: string | null;
  /** the chosen layer of a multi-layer zip or GeoPackage (the feature table) */
  layerName?: string;
  /** features announced by the file header (dbf record count), when known up front */
  expectedCount?: number;
  features(): AsyncIterable<SourceFeature>;
}

/** Parsed request fields of an upload. */
export interface UploadOptions {
  mode: 'replace' | 'append';
  /** EPSG code given by the uploader; overrides the file's own */
  crs?: number;
  /** 7 parameters (dx,dy,dz m; rx,ry,rz ″; s ppm) for Xian 1980 / Beijing 1954 files */
  towgs84?: number[];
  encoding?: string;
  dryRun: boolean;
  note?: string;
  repair: boolean;
  /** which layer of a multi-layer zip */
  layer?: string;
  /** attribute whose value becomes the feature id */
  idField?: string;
}
