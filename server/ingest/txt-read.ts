/**
 * Boundary-coordinate TXT (domain.md §4) → SourceFeatures: each parcel becomes a feature with
 * 地块编号 → id and `code`, 地块名称 → `name`, 地块用途 → `use`, 地块面积 → `declared_area_ha`.
 * The CRS is the file's own (parcel-coordinates.ts); Xian/Beijing files carry their 7
 * parameters, turned into a PROJ string for ST_Transform.
 */
import fs from 'node:fs/promises';
import { PayloadTooLargeError } from '../errors.js';
import { describeCrs, projStringFor } from './gauss-kruger.js';
import type { IngestLimits } from './ingest-limits.js';
import type { OpenedSource, SourceCrs, SourceFeature, UploadOptions } from './ingest-types.js';
import { parseParcelTxt, type ParsedParcel } from './parcel-coordinates.js';
import type { ProblemList } from './problem-list.js';

function propertiesOf(p: ParsedParcel): Record<string, unknown> {
  const props: Record<string, unknown> = {
    code: p.code || null,
    name: p.name || null,
    use: p.use || null,
    declared_area_ha: p.declaredAreaHa,
  };
  if (p.landClass) props.land_class = p.landClass;
  if (p.sheet) props.sheet = p.sheet;
  if (p.adminCode) props.admin_code = p.adminCode;
  if (p.village) props.village = p.village;
  for (const [k, v] of Object.entries(p.extra ?? {})) if (v) props[k] = v;
  return props;
}

export async function openTxt(filePath: string, size: number, opts: UploadOptions, limits: IngestLimits, problems: ProblemList): Promise<OpenedSource> {
  if (size > limits.txtBytes) {
    throw new PayloadTooLargeError(`坐标文件超过 ${limits.txtBytes} 字节 (TXT larger than txtBytes = ${limits.txtBytes})`, { limit: 'txtBytes', max: limits.txtBytes, actual: size });
  }
  const file = parseParcelTxt(await fs.readFile(filePath), {
    encoding: opts.encoding,
    maxBytes: limits.txtBytes,
    maxVertices: limits.maxVertices,
    maxParcels: limits.maxFeatures,
  });
  for (const w of file.warnings) problems.add(w);
  const label = describeCrs(file.crs).zh;
  const crs: SourceCrs =
    file.crs.status === 'needs-transformation'
      ? { srid: 0, projString: projStringFor(file.crs), label: `${label}（按文件七参数转换）`, geographic: false, from: 'txt' }
      : { srid: file.crs.epsg, label, geographic: false, from: 'txt' };
  if (opts.crs !== undefined && opts.crs !== file.crs.epsg) {
    problems.warn({ field: 'crs', message: `坐标文件自带坐标系 EPSG:${file.crs.epsg}，参数 crs=${opts.crs} 已忽略 (the TXT header's CRS wins over the crs parameter)` });
  }
  async function* features(): AsyncGenerator<SourceFeature> {
    for (const p of file.parcels) {
      yield { index: p.index, line: p.line, id: p.code || null, properties: propertiesOf(p), geometry: p.geometry };
    }
  }
  return { format: 'txt', crs, encoding: file.encoding, expectedCount: file.parcels.length, features };
}
