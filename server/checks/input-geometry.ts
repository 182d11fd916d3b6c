/**
 * A proposed block's source geometry, before PostGIS: GeoJSON (Polygon, MultiPolygon or a Feature
 * holding one) in the request's CRS, or a boundary-coordinate TXT parsed by ingest/. Checks here
 * are structural and cheap (types, numbers, ring lengths, the vertex bound, lon/lat ranges, swapped
 * GK axes); validity and area are PostGIS's job (block-geometry.ts).
 */
import type { MultiPolygon, Polygon, Position } from 'geojson';
import { type InputProblem, PayloadTooLargeError, UnprocessableError, valueName } from '../errors.js';
import { describeCrs, gaussKrugerFromEpsg, projStringFor } from '../ingest/gauss-kruger.js';
import { parseParcelTxt } from '../ingest/parcel-coordinates.js';
import type { BlockSource } from './check-request.js';

export interface SourceGeometry {
  /** coordinates in `srid` (x = easting/longitude, y = northing/latitude) */
  geometry: Polygon | MultiPolygon;
  srid: number;
  /** PROJ string when a TXT carries its own 7 parameters (Xian 1980 / Beijing 1954) */
  projString?: string;
  vertexCount: number;
  /** TXT 地块面积 summed over parcels, hectares; null when not declared */
  declaredAreaHa: number | null;
  crsLabel: string;
  /** TXT points (for naming the point nearest a self-intersection) */
  points?: { name: string; line: number; x: number; y: number }[];
  warnings: InputProblem[];
  format: 'geojson' | 'txt' | 'shapefile';
}

const unprocessable = (field: string, message: string) => new UnprocessableError(message, { problems: [{ field, severity: 'error', message }] });

/** Source geometry from a request; throws 413 (details.limit = 'maxVertices') or 422 (details.problems). */
export function readSourceGeometry(source: BlockSource, maxVertices: number): SourceGeometry {
  if (source.kind === 'txt') return fromTxt(source.content, maxVertices);
  if (source.kind === 'shapefile') throw new Error('a zipped shapefile is read first (shapefile-block.ts)');
  const g = fromGeoJson(source.geometry, source.srid, maxVertices, source.crsLabel);
  if (source.format !== 'shapefile') return source.warnings?.length ? { ...g, warnings: [...source.warnings, ...g.warnings] } : g;
  // a shapefile's polygons, in the CRS of its .prj (Xian 1980 / Beijing 1954 through their PROJ string)
  return { ...g, projString: source.projString, format: 'shapefile', warnings: [...(source.warnings ?? []), ...g.warnings] };
}

function fromTxt(content: string | Uint8Array, maxVertices: number): SourceGeometry {
  const file = parseParcelTxt(content, { maxVertices });
  const polygons = file.parcels.flatMap((p) => (p.geometry.type === 'Polygon' ? [p.geometry.coordinates] : p.geometry.coordinates));
  const warnings = [...file.warnings];
  if (file.parcels.length > 1) {
    warnings.push({ severity: 'warning', field: '地块坐标', message: `文件含${file.parcels.length}个地块，合并为一个区块检查 (${file.parcels.length} parcels checked together as one block)` });
  }
  const declared = file.parcels.map((p) => p.declaredAreaHa);
  return {
    geometry: polygons.length === 1 ? { type: 'Polygon', coordinates: polygons[0] } : { type: 'MultiPolygon', coordinates: polygons },
    srid: file.crs.epsg,
    projString: file.crs.status === 'needs-transformation' ? projStringFor(file.crs) : undefined,
    vertexCount: file.parcels.reduce((n, p) => n + p.points.length, 0),
    declaredAreaHa: declared.every((d) => d !== null) ? declared.reduce((a, b) => a! + b!, 0) : null,
    crsLabel: describeCrs(file.crs).zh,
    points: file.parcels.flatMap((p) => p.points.map((pt) => ({ name: pt.name, line: pt.line, x: pt.y, y: pt.x }))),
    warnings,
    format: 'txt',
  };
}

function fromGeoJson(input: unknown, srid: number, maxVertices: number, crsLabel?: string): SourceGeometry {
  let g = input as { type?: unknown; geometry?: unknown; coordinates?: unknown };
  if (typeof g !== 'object' || g === null || Array.isArray(g)) throw unprocessable('geometry', 'geometry 应为 GeoJSON 对象 (geometry must be a GeoJSON object)');
  if (g.type === 'Feature') g = (g.geometry ?? {}) as typeof g;
  if (g.type !== 'Polygon' && g.type !== 'MultiPolygon') {
    throw unprocessable('geometry.type', `区块须为面（Polygon 或 MultiPolygon），而不是“${valueName(g.type)}” (the block must be a Polygon or MultiPolygon)`);
  }
  const polygons = (g.type === 'Polygon' ? [g.coordinates] : g.coordinates) as unknown[];
  if (!Array.isArray(polygons) || polygons.length === 0) throw unprocessable('geometry.coordinates', '区块没有坐标（空几何） (empty geometry)');
  const warnings: InputProblem[] = [];
  let vertexCount = 0;
  const rings = polygons.map((poly, p) => {
    if (!Array.isArray(poly) || poly.length === 0) throw unprocessable('geometry.coordinates', `第${p + 1}个面没有环 (polygon ${p} has no rings)`);
    return poly.map((ring: unknown, r: number) => {
      const where = `geometry.coordinates[${g.type === 'Polygon' ? '' : `${p}][`}${r}]`;
      if (!Array.isArray(ring)) throw unprocessable(where, `${where} 不是坐标数组 (not an array of positions)`);
      vertexCount += ring.length;
      if (vertexCount > maxVertices) {
        throw new PayloadTooLargeError(`区块顶点数超过上限 ${maxVertices} (more than maxVertices = ${maxVertices} vertices)`, { limit: 'maxVertices', max: maxVertices });
      }
      const coords = ring.map((pos: unknown, i: number) => {
        if (!Array.isArray(pos) || pos.length < 2 || !pos.slice(0, 2).every((v) => typeof v === 'number' && Number.isFinite(v))) {
          throw unprocessable(`${where}[${i}]`, `${where}[${i}] 不是有效坐标 [x, y] (not a finite [x, y] position)`);
        }
        return [pos[0], pos[1]] as Position;
      });
      const first = coords[0];
      const last = coords[coords.length - 1];
      if (coords.length > 0 && (first[0] !== last[0] || first[1] !== last[1])) {
        coords.push([...first]);
        warnings.push({ severity: 'warning', field: where, message: `${where} 环未闭合，已自动闭合 (ring not closed; closed automatically)` });
      }
      if (new Set(coords.map((c) => `${c[0]},${c[1]}`)).size < 3) {
        throw unprocessable(where, `${where} 不足3个不同的点，无面积 (fewer than 3 distinct points: no area)`);
      }
      return coords;
    });
  });
  checkRanges(rings, srid, warnings);
  const gk = gaussKrugerFromEpsg(srid);
  const label = crsLabel ?? (srid === 4490 ? 'CGCS2000 经纬度 EPSG:4490' : srid === 4326 ? 'WGS84 经纬度 EPSG:4326（按CGCS2000处理）' : srid === 3857 ? 'Web墨卡托 EPSG:3857' : gk ? describeCrs({ epsg: srid, ...gk }).zh : `EPSG:${srid}`);
  return {
    geometry: g.type === 'Polygon' ? { type: 'Polygon', coordinates: rings[0] } : { type: 'MultiPolygon', coordinates: rings },
    srid,
    vertexCount,
    declaredAreaHa: null,
    crsLabel: label,
    warnings,
    format: 'geojson',
  };
}

/**
 * Lon/lat out of range is refused (typically lat/lon swapped); GK coordinates given northing
 * first are swapped back with a warning, as surveyors write X = northing; an easting whose zone
 * prefix contradicts the crs is refused, naming `crs`.
 */
function checkRanges(polygons: Position[][][], srid: number, warnings: InputProblem[]): void {
  const all = polygons.flat(2);
  if (srid === 4490 || srid === 4326) {
    const bad = all.find(([x, y]) => Math.abs(x) > 180 || Math.abs(y) > 90);
    if (bad) throw unprocessable('geometry.coordinates', `经纬度超出范围 [${bad[0]}, ${bad[1]}]：应为 [经度, 纬度]，可能坐标颠倒或 crs 有误 (lon/lat out of range: axes swapped or crs missing?)`);
    return;
  }
  if (srid === 3857) {
    const bad = all.find(([x, y]) => !(Math.abs(x) <= 20037508.35 && Math.abs(y) <= 20048966.11));
    if (bad) throw unprocessable('geometry.coordinates', `坐标 [${bad[0]}, ${bad[1]}] 超出 Web 墨卡托范围 (outside the Web Mercator plane: crs wrong?)`);
    return;
  }
  const gk = gaussKrugerFromEpsg(srid);
  if (!gk) return;
  const isNorthing = (v: number) => v >= 1e6 && v < 1e7;
  const isEasting = (v: number) => (gk.prefixed ? v >= 1e7 && v < 1e8 : v >= 0 && v < 1e6);
  if (all.every(([x, y]) => isNorthing(x) && isEasting(y))) {
    for (const p of all) [p[0], p[1]] = [p[1], p[0]];
    warnings.push({ severity: 'warning', field: 'geometry.coordinates', message: '坐标按 [北坐标X, 东坐标Y] 给出，已交换为 [东, 北] (coordinates were northing-first; swapped to [easting, northing])' });
  }
  const wrong = all.find(([x]) => gk.prefixed && Math.floor(x / 1e6) !== gk.zone);
  if (wrong) {
    const message = `横坐标 ${wrong[0]} 的带号与 crs EPSG:${srid}（第${gk.zone}带）不一致 (easting zone prefix contradicts crs zone ${gk.zone})`;
    throw new UnprocessableError(message, { problems: [{ field: 'crs', severity: 'error', message }] });
  }
  // the projection's domain: beyond it the transform fails (a 500) or answers nonsense
  const outside = all.find(([x, y]) => !(isEasting(x) && y >= 0 && y < 1e7));
  if (outside) {
    throw unprocessable('geometry.coordinates', `坐标 [${outside[0]}, ${outside[1]}] 超出 EPSG:${srid} 的投影范围 (outside the Gauss-Kruger zone: easting ${gk.prefixed ? 'with its zone prefix ' : ''}and northing 0–10,000 km)`);
  }
}
