/**
 * Resolves a file's CRS to a SourceCrs that ST_Transform can use towards EPSG:4490:
 * from an EPSG code (parameter, .prj, GeoJSON `crs`, TXT header) or, failing all of those,
 * from the magnitudes of the coordinates (with a warning, never silently).
 * Xian 1980 / Beijing 1954 need 7 parameters (domain.md §3): without them a clear 422; with
 * them PostGIS gets a PROJ string, never the EPSG codes 2349–2442 (no or generic towgs84).
 */
import { centralMeridian, describeCrs, epsgForZone, gaussKrugerFromEpsg, projStringFor } from './gauss-kruger.js';
import type { SourceCrs } from './ingest-types.js';
import { fileProblem } from './problem-list.js';

/** [minX, minY, maxX, maxY] in the file's units */
export type Bounds = [number, number, number, number];

const GEOGRAPHIC: Record<number, string> = { 4490: 'EPSG:4490 CGCS2000 经纬度', 4326: 'EPSG:4326 WGS 84 经纬度' };
const LEGACY_GEOGRAPHIC: Record<number, { name: string; ellps: string }> = {
  4610: { name: '1980西安坐标系 经纬度 (Xian 1980)', ellps: '+a=6378140 +rf=298.257' },
  4214: { name: '1954北京坐标系 经纬度 (Beijing 1954)', ellps: '+ellps=krass' },
};

export const SUPPORTED_CRS_TEXT =
  'EPSG:4490、4326、3857，CGCS2000 3度带 4513–4533（带号）/4534–4554（中央经线）；西安80/北京54 3度带须提供 towgs84 七参数';

/** Parse the `crs` request field: "4530", "EPSG:4530", "urn:ogc:def:crs:EPSG::4530", CRS84 URLs. */
export function parseCrsCode(text: string): number | null {
  const t = text.trim();
  if (/CRS84$/i.test(t)) return 4326;
  const m = /^(?:EPSG:+|urn:ogc:def:crs:EPSG:[\d.]*:|https?:\/\/www\.opengis\.net\/def\/crs\/EPSG\/\d+\/)?(\d{4,6})$/i.exec(t);
  return m ? Number(m[1]) : null;
}

function needsParameters(label: string, field: string): Error {
  return fileProblem(
    `${label} 须提供 towgs84 七参数（dx,dy,dz,rx,ry,rz,s）才能转换到2000国家大地坐标系，或先转换为 CGCS2000 后再上传 (Xian 1980 / Beijing 1954 need 7 transformation parameters "towgs84"; none given)`,
    field,
  );
}

/** A SourceCrs for an EPSG code; `towgs84` for the legacy datums. 422 for anything else. */
export function sourceCrsFromEpsg(epsg: number, from: SourceCrs['from'], towgs84?: number[], field = 'crs'): SourceCrs {
  if (GEOGRAPHIC[epsg]) return { srid: epsg, label: GEOGRAPHIC[epsg], geographic: true, from };
  if (epsg === 3857) return { srid: 3857, label: 'EPSG:3857 Web Mercator', geographic: false, from };
  const legacy = LEGACY_GEOGRAPHIC[epsg];
  if (legacy) {
    if (!towgs84) throw needsParameters(legacy.name, field);
    return { srid: 0, projString: `+proj=longlat ${legacy.ellps} +towgs84=${towgs84.join(',')} +no_defs`, label: legacy.name, geographic: true, from };
  }
  const g = gaussKrugerFromEpsg(epsg);
  if (!g) throw fileProblem(`不支持的坐标系 EPSG:${epsg}；支持：${SUPPORTED_CRS_TEXT} (unsupported CRS EPSG:${epsg})`, field);
  const label = describeCrs({ epsg, ...g }).zh;
  if (g.datum === 'CGCS2000') return { srid: epsg, label, geographic: false, from };
  if (!towgs84) throw needsParameters(label, field);
  const projString = projStringFor({ epsg, ...g, status: 'needs-transformation', transformationParameters: towgs84 });
  return { srid: 0, projString, label: `${label}（按所给七参数转换）`, geographic: false, from };
}

/**
 * Guess the CRS from coordinate magnitudes (metres vs degrees, zone prefix). Returns the CRS
 * and the warning to show, or null when nothing plausible fits.
 */
export function detectCrsFromBounds(b: Bounds): { crs: SourceCrs; warning: string } | null {
  const [x0, y0, x1, y1] = b;
  if (![x0, y0, x1, y1].every(Number.isFinite)) return null;
  if (x0 >= -180 && x1 <= 180 && y0 >= -90 && y1 <= 90) {
    return { crs: sourceCrsFromEpsg(4490, 'detected'), warning: '文件未说明坐标系，按数值判断为 CGCS2000 经纬度 (EPSG:4490) (no CRS given; lon/lat degrees assumed)' };
  }
  const zone = Math.floor(x0 / 1e6);
  if (x0 >= 25e6 && x1 < 46e6 && Math.floor(x1 / 1e6) === zone && y0 >= 1e6 && y1 < 1e7) {
    const epsg = epsgForZone(zone, true);
    return { crs: sourceCrsFromEpsg(epsg, 'detected'), warning: `文件未说明坐标系，按横坐标带号判断为 CGCS2000 3度带第${zone}带 EPSG:${epsg}，请核对 (no CRS given; zone-prefixed eastings → EPSG:${epsg} assumed)` };
  }
  if (x0 > 0 && x1 < 1e6 && y0 >= 1e6 && y1 < 1e7) {
    const epsg = epsgForZone(42, false);
    return { crs: sourceCrsFromEpsg(epsg, 'detected'), warning: `文件未说明坐标系，横坐标不含带号，按德惠市所在第42带（中央经线${centralMeridian(42)}°）EPSG:${epsg} 处理，请核对 (no CRS given; metres without zone prefix → zone 42 EPSG:${epsg} assumed)` };
  }
  if (x0 >= 7e6 && x1 <= 1.7e7 && y0 >= 1e6 && y1 <= 8e6) {
    return { crs: sourceCrsFromEpsg(3857, 'detected'), warning: '文件未说明坐标系，按数值判断为 Web Mercator (EPSG:3857)，请核对 (no CRS given; Web Mercator assumed)' };
  }
  return null;
}

/** A 422 when coordinates cannot be in the given CRS (e.g. metres declared as degrees). */
export function checkBoundsFit(crs: SourceCrs, b: Bounds): void {
  const [x0, y0, x1, y1] = b;
  if (!Number.isFinite(x0)) return; // no coordinates at all: reported per feature
  const misfit = (why: string) =>
    fileProblem(`坐标范围 [${x0}, ${y0}, ${x1}, ${y1}] 与坐标系 ${crs.label} 不符：${why} (coordinates do not fit the CRS; wrong crs?)`, 'crs', { bounds: b });
  if (crs.geographic && !(x0 >= -180 && x1 <= 180 && y0 >= -90 && y1 <= 90)) throw misfit('经纬度超出范围');
  if (crs.srid === 0 || crs.geographic || crs.srid === 3857) return;
  const g = gaussKrugerFromEpsg(crs.srid);
  if (!g) return;
  const lo = g.prefixed ? g.zone * 1e6 : 0;
  if (x0 < lo || x1 >= lo + 1e6 || y0 < 0 || y1 >= 1e7) {
    throw misfit(g.prefixed ? `横坐标应以带号 ${g.zone} 开头` : '横坐标应为6位数（不含带号）');
  }
}
