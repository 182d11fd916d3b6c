/** Detect an upload's format by content and open it with the matching reader. */
import { detectFormat, sniff } from './format-detect.js';
import { openGeojson } from './geojson-read.js';
import type { IngestLimits } from './ingest-limits.js';
import type { OpenedSource, UploadOptions } from './ingest-types.js';
import type { ProblemList } from './problem-list.js';
import { openShapefileZip } from './shapefile-read.js';
import { openTxt } from './txt-read.js';

export interface StoredFile {
  path: string;
  /** a folder of our own for extracted parts */
  dir: string;
  fileName: string;
  size: number;
}

export async function openUpload(file: StoredFile, opts: UploadOptions, limits: IngestLimits, problems: ProblemList): Promise<OpenedSource> {
  const kind = detectFormat(await sniff(file.path), file.fileName);
  if (kind === 'zip') return openShapefileZip(file.path, file.dir, opts, limits, problems);
  if (kind === 'geojson') return openGeojson(file.path, file.size, opts, limits, problems);
  return openTxt(file.path, file.size, opts, limits, problems);
}
