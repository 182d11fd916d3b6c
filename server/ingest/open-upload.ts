/** Detect an upload's format by content and open it with the matching reader. */
import { detectFormat, sniff } from './format-detect.js';
import { openGeojson } from './geojson-read.js';
import { openGeopackage } from './geopackage-read.js';
import type { IngestLimits } from './ingest-limits.js';
import type { OpenedSource, UploadOptions } from './ingest-types.js';
import { openKml } from './kml-read.js';
import type { ProblemList } from './problem-list.js';
import { openShapefileZip } from './shapefile-read.js';
import { openTxt } from './txt-read.js';
import { extractKmzDocument } from './zip-extract.js';

export interface StoredFile {
  path: string;
  /** a folder of our own for extracted parts */
  dir: string;
  fileName: string;
  size: number;
}

export async function openUpload(file: StoredFile, opts: UploadOptions, limits: IngestLimits, problems: ProblemList): Promise<OpenedSource> {
  const kind = detectFormat(await sniff(file.path), file.fileName);
  if (kind === 'zip') {
    // a zip with a .kml and no .shp is a KMZ; anything else is read as a shapefile zip
    const kmz = await extractKmzDocument(file.path, file.dir, limits);
    if (kmz) return openKml(kmz.path, kmz.size, opts, limits, problems, true);
    return openShapefileZip(file.path, file.dir, opts, limits, problems);
  }
  if (kind === 'gpkg') return openGeopackage(file.path, file.size, opts, limits, problems);
  if (kind === 'kml') return openKml(file.path, file.size, opts, limits, problems);
  if (kind === 'geojson') return openGeojson(file.path, file.size, opts, limits, problems);
  return openTxt(file.path, file.size, opts, limits, problems);
}
