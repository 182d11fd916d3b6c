/**
 * A zipped shapefile as the block of a check (multipart `file`). The upload readers of ingest/
 * do the work, unchanged: the zip is extracted defensively (zip-slip, bombs, nested archives,
 * entry counts: the same 4xx as a layer upload), the .prj names the CRS (every CGCS2000 GK zone
 * form; a `crs` field overrides it), the .dbf is decoded by its .cpg or detected (GBK/UTF-8).
 * Every polygon of the file — one feature or several — becomes ONE block (a MultiPolygon when
 * there are several polygons), as for a TXT with several parcels, with a warning naming the
 * count. A feature that is not a polygon (point, line) is a 422 naming it; empty geometries are
 * skipped with a warning. The `名称`/`name` attribute of a single feature names the block when
 * the request gives no name.
 */
import fs from 'node:fs/promises';
import type { Position } from 'geojson';
import { type InputProblem, PayloadTooLargeError, UnprocessableError } from '../errors.js';
import { KML_WORKER_HEAP_MB, MAX_TOTAL_VERTICES, ZIP_EXPANSION, ZIP_MAX_ENTRIES, type IngestLimits } from '../ingest/ingest-limits.js';
import { ProblemList } from '../ingest/problem-list.js';
import { openShapefileZip } from '../ingest/shapefile-read.js';
import { makeTempDir } from '../ingest/upload-receive.js';
import type { BlockSource } from './check-request.js';

export type ShapefileSource = Extract<BlockSource, { kind: 'shapefile' }>;
export type ResolvedShapefile = Extract<BlockSource, { kind: 'geojson' }>;

/** Bounds for a block's zip: the upload limits where the app has them, else these. */
export function shapefileLimits(uploadBytes: number, maxVertices: number): IngestLimits {
  return {
    uploadBytes,
    maxVertices,
    maxFeatures: 10_000,
    maxTotalVertices: Math.min(MAX_TOTAL_VERTICES, maxVertices),
    zipUncompressedBytes: uploadBytes * ZIP_EXPANSION,
    zipEntries: ZIP_MAX_ENTRIES,
    geojsonBytes: uploadBytes,
    txtBytes: uploadBytes,
    geopackageBytes: uploadBytes,
    kmlBytes: uploadBytes,
    kmlHeapMb: KML_WORKER_HEAP_MB,
  };
}

const unprocessable = (field: string, message: string, extra: Record<string, unknown> = {}) =>
  new UnprocessableError(message, { problems: [{ field, severity: 'error', message, ...extra }] });

export async function readShapefileBlock(src: ShapefileSource, limits: IngestLimits): Promise<{ source: ResolvedShapefile; name: string | null }> {
  const dir = await makeTempDir();
  try {
    const zipPath = `${dir}/block.zip`; // our own name: the client's file name is never a path
    await fs.writeFile(zipPath, src.bytes);
    const problems = new ProblemList();
    const opened = await openShapefileZip(zipPath, dir, { mode: 'replace', dryRun: false, repair: false, ...(src.crs ? { crs: src.crs } : {}) }, limits, problems);
    const polygons: Position[][][] = [];
    const warnings: InputProblem[] = problems.warningList().map((p) => ({ severity: 'warning', field: p.field ?? 'file', message: p.message }));
    let features = 0;
    let vertices = 0;
    let name: string | null = null;
    for await (const f of opened.features()) {
      features++;
      if (features > limits.maxFeatures) throw new PayloadTooLargeError(`Shapefile 要素数超过上限 ${limits.maxFeatures} (more than ${limits.maxFeatures} features)`, { limit: 'maxFeatures', max: limits.maxFeatures });
      const g = f.geometry;
      if (!g) {
        warnings.push({ severity: 'warning', field: 'file', feature: f.index, message: `第${f.index + 1}个要素没有几何，已跳过 (feature ${f.index} has no geometry; skipped)` });
        continue;
      }
      if (g.type !== 'Polygon' && g.type !== 'MultiPolygon') {
        throw unprocessable('file', `Shapefile 第${f.index + 1}个要素是 ${g.type}，区块须为面 (feature ${f.index} is a ${g.type}; the block must be polygons)`, { feature: f.index });
      }
      for (const p of g.type === 'Polygon' ? [g.coordinates] : g.coordinates) {
        vertices += p.reduce((n, ring) => n + ring.length, 0);
        if (vertices > limits.maxVertices) {
          throw new PayloadTooLargeError(`区块顶点数超过上限 ${limits.maxVertices} (more than maxVertices = ${limits.maxVertices} vertices)`, { limit: 'maxVertices', max: limits.maxVertices });
        }
        polygons.push(p);
      }
      const label = f.properties['名称'] ?? f.properties['name'] ?? f.properties['NAME'] ?? f.properties['地块名称'];
      if (features === 1 && typeof label === 'string' && label.trim()) name = label.trim().slice(0, 200);
    }
    if (polygons.length === 0) throw unprocessable('file', 'Shapefile 中没有面要素 (the shapefile holds no polygon)');
    if (features > 1) name = null;
    if (polygons.length > 1) {
      warnings.push({ severity: 'warning', field: 'file', message: `Shapefile 含${polygons.length}个面（${features}个要素），合并为一个区块检查 (${polygons.length} polygons checked together as one block)` });
    }
    const crs = opened.crs;
    return {
      source: {
        kind: 'geojson',
        geometry: polygons.length === 1 ? { type: 'Polygon', coordinates: polygons[0] } : { type: 'MultiPolygon', coordinates: polygons },
        srid: crs.srid,
        projString: crs.projString,
        format: 'shapefile',
        crsLabel: `${crs.label}${crs.from === 'prj' ? '（.prj）' : crs.from === 'parameter' ? '（参数 crs）' : ''}`,
        warnings,
        encoding: opened.encoding,
      },
      name,
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
