/**
 * CRS facts for 3-degree Gauss-Kruger grids (domain.md §3), used to label and sanity-check
 * boundary-coordinate files. The exact transformation to EPSG:4490 is PostGIS's job; the
 * projection formulas here (Snyder's series, mm-level inside a 3° zone) exist only for
 * plausibility warnings and tests.
 */
import { type InputProblem, UnprocessableError } from '../errors.js';

export type Datum = 'CGCS2000' | 'Xian1980' | 'Beijing1954' | 'WGS84';

/** A projected 3-degree Gauss-Kruger CRS. Coordinates are metres; easting carries the zone
 *  number in front of the 500 km false easting when `prefixed` (42 500 000 vs 500 000). */
export interface GaussKrugerCrs {
  epsg: number;
  zone: number;
  prefixed: boolean;
  datum: Datum;
  /** 'needs-transformation': Xian 1980 / Beijing 1954 with file-supplied 7 parameters. */
  status: 'ok' | 'needs-transformation';
  /** dx, dy, dz (m), rx, ry, rz (arc-seconds), scale (ppm) towards CGCS2000, as written. */
  transformationParameters?: number[];
}

export const ZONE_MIN = 25; // 75°E
export const ZONE_MAX = 45; // 135°E

/** First EPSG code (zone 25 prefixed, CM 75°E unprefixed) of each datum's 3° series. */
const SERIES: Record<Datum, { prefixed: number; cm: number } | null> = {
  CGCS2000: { prefixed: 4513, cm: 4534 },
  Xian1980: { prefixed: 2349, cm: 2370 },
  Beijing1954: { prefixed: 2401, cm: 2422 },
  WGS84: null, // no EPSG 3° GK series: the caller treats such files as CGCS2000 (cm-level apart)
};

function zoneError(zone: number): UnprocessableError {
  const message = `带号 ${zone} 不在3度带 ${ZONE_MIN}–${ZONE_MAX} 范围内 (zone ${zone} is not a 3-degree zone ${ZONE_MIN}–${ZONE_MAX})`;
  return new UnprocessableError(message, { zone, problems: [{ field: '带号', severity: 'error', message }] });
}

/** EPSG code of a 3-degree GK CRS. CGCS2000: prefixed 4488 + zone, CM 4534 + (3·zone − 75)/3. */
export function epsgForZone(zone: number, prefixed: boolean, datum: Datum = 'CGCS2000'): number {
  if (!Number.isInteger(zone) || zone < ZONE_MIN || zone > ZONE_MAX) throw zoneError(zone);
  const series = SERIES[datum] ?? SERIES.CGCS2000!;
  return (prefixed ? series.prefixed : series.cm) + zone - ZONE_MIN;
}

/** Inverse of epsgForZone; null for any other code. */
export function gaussKrugerFromEpsg(epsg: number): { zone: number; prefixed: boolean; datum: Datum } | null {
  if (!Number.isInteger(epsg)) return null;
  for (const [datum, series] of Object.entries(SERIES) as [Datum, { prefixed: number; cm: number } | null][]) {
    if (!series) continue;
    for (const prefixed of [true, false]) {
      const zone = epsg - (prefixed ? series.prefixed : series.cm) + ZONE_MIN;
      if (zone >= ZONE_MIN && zone <= ZONE_MAX) return { zone, prefixed, datum };
    }
  }
  return null;
}

/** Central meridian, degrees east. */
export const centralMeridian = (zone: number): number => 3 * zone;

/** 3-degree zone containing a longitude (degrees east): zone n spans 3n ± 1.5°. */
export const lonLatToZone = (lon: number): number => Math.round(lon / 3);

/** Zone number carried by an easting with 8 integer digits (e.g. 42 512 345.67 → 42), else null. */
export function zoneFromEasting(easting: number): number | null {
  return Number.isFinite(easting) && easting >= 1e7 && easting < 1e8 ? Math.floor(easting / 1e6) : null;
}

/** Recognise a 坐标系 value. Unknown → null (the caller refuses the file). */
export function recognizeDatum(name: string): Datum | null {
  const n = name.replace(/[\s_\-—·()（）]/g, '').toUpperCase();
  if (/CGCS2000|^(2000)?国家(2000)?大地坐标系$|^(国家)?2000(坐标系)?$|CHINAGEODETICCOORDINATESYSTEM2000/.test(n)) return 'CGCS2000';
  if (/西安|XIAN|XI'AN|C80/.test(n)) return 'Xian1980';
  if (/北京|BEIJING|BJ54|P54/.test(n)) return 'Beijing1954';
  if (/^WGS(19)?84/.test(n)) return 'WGS84';
  return null;
}

const DATUM_NAMES: Record<Datum, [string, string]> = {
  CGCS2000: ['2000国家大地坐标系', 'CGCS2000'],
  Xian1980: ['1980西安坐标系', 'Xian 1980'],
  Beijing1954: ['1954北京坐标系', 'Beijing 1954'],
  WGS84: ['WGS84坐标系', 'WGS 84'],
};

/** Human description for messages and reports, Chinese and English. */
export function describeCrs(crs: Pick<GaussKrugerCrs, 'epsg' | 'zone' | 'prefixed' | 'datum'>): { zh: string; en: string } {
  const [zhDatum, enDatum] = DATUM_NAMES[crs.datum];
  const cm = centralMeridian(crs.zone);
  return {
    zh: `${zhDatum} 3度带高斯-克吕格投影 第${crs.zone}带（中央经线${cm}°，${crs.prefixed ? '横坐标含带号' : '横坐标不含带号'}）EPSG:${crs.epsg}`,
    en: `${enDatum} / 3-degree Gauss-Kruger zone ${crs.zone} (CM ${cm}°E, ${crs.prefixed ? 'zone-prefixed easting' : 'no zone prefix'}) EPSG:${crs.epsg}`,
  };
}

/**
 * PROJ string for ST_Transform(geom, projString, 4490) when the file's CRS needs its own
 * 7 parameters. Rotation sign convention (position vector, as PROJ's +towgs84) is assumed;
 * CGCS2000 is used as the WGS84 hub (they differ by centimetres).
 */
export function projStringFor(crs: GaussKrugerCrs): string {
  const ellps = crs.datum === 'Xian1980' ? '+a=6378140 +rf=298.257' : crs.datum === 'Beijing1954' ? '+ellps=krass' : '+ellps=GRS80';
  const x0 = (crs.prefixed ? crs.zone * 1e6 : 0) + 500000;
  const towgs = crs.transformationParameters ? ` +towgs84=${crs.transformationParameters.join(',')}` : '';
  return `+proj=tmerc +lat_0=0 +lon_0=${centralMeridian(crs.zone)} +k=1 +x_0=${x0} +y_0=0 ${ellps}${towgs} +units=m +no_defs`;
}

type Report = (p: Omit<InputProblem, 'severity'>) => void;

const decimal = (s: string): number | null => (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : null);

/**
 * The CRS declared by a 部标 TXT [属性描述] (坐标系, 几度分带/分带, 投影类型, 计量单位, 带号,
 * 转换参数), completed by the first point's easting (metres) when 带号 is empty. Problems are
 * reported with the line of the key; null after at least one error.
 */
export function crsFromHeader(
  header: Record<string, string>,
  at: Record<string, number>, // 1-based line of each key
  first: { easting: number; line: number } | undefined,
  { fail, warn }: { fail: Report; warn: Report },
): GaussKrugerCrs | null {
  let failed = false;
  const report: Report = (p) => { failed = true; fail(p); };
  const datumName = header['坐标系'] ?? '';
  let datum: Datum | null = 'CGCS2000';
  if (datumName === '') warn({ line: at['坐标系'], field: '坐标系', message: '未注明坐标系，按2000国家大地坐标系处理 (no 坐标系 given; CGCS2000 assumed)' });
  else if (!(datum = recognizeDatum(datumName))) report({ line: at['坐标系'], field: '坐标系', message: `不支持的坐标系“${datumName}” (unknown coordinate system)` });

  const zoning = header['几度分带'] ?? header['分带'] ?? '';
  const zoningKey = '几度分带' in header ? '几度分带' : '分带';
  if (/6|六/.test(zoning)) report({ line: at[zoningKey], field: zoningKey, message: '不支持6度分带：德惠市跨6度带边界，请提供3度带坐标 (6-degree zones are not supported; Dehui straddles their boundary — supply 3-degree coordinates)' });
  else if (zoning !== '' && !/3|三/.test(zoning)) report({ line: at[zoningKey], field: zoningKey, message: `无法识别的分带“${zoning}” (unrecognised zone width)` });

  const unit = header['计量单位'] ?? '';
  if (unit !== '' && !/^(米|m|metre|meter|公尺)$/i.test(unit)) report({ line: at['计量单位'], field: '计量单位', message: `计量单位须为米，而不是“${unit}” (units must be metres)` });
  const projection = header['投影类型'] ?? '';
  if (projection !== '' && !/高斯|gauss/i.test(projection)) report({ line: at['投影类型'], field: '投影类型', message: `不支持的投影类型“${projection}”，须为高斯-克吕格 (projection must be Gauss-Kruger)` });

  const rawParams = (header['转换参数'] ?? '').split(/[,，]/).map((s) => s.trim());
  let params: number[] | undefined;
  if (rawParams.some((s) => s !== '')) {
    const nums = rawParams.map(decimal);
    if (nums.length !== 7 || nums.some((n) => n === null)) report({ line: at['转换参数'], field: '转换参数', message: '转换参数须为7个数字 (transformation parameters must be 7 numbers)' });
    else if (nums.some((n) => n !== 0)) params = nums as number[];
  }
  if (datum === 'Xian1980' || datum === 'Beijing1954') {
    if (!params) report({ line: at['坐标系'], field: '坐标系', message: `${datumName}坐标须提供转换参数（七参数）才能转换到2000国家大地坐标系，请先转换后再上传 (${datum} coordinates need 7 transformation parameters to reach CGCS2000; none given)` });
    else warn({ line: at['转换参数'], field: '转换参数', message: `${datumName}坐标将按文件中的七参数转换到CGCS2000，请核对参数 (${datum}: converted with the file's 7 parameters; check them)` });
  } else if (params) {
    warn({ line: at['转换参数'], field: '转换参数', message: '坐标系为CGCS2000，转换参数已忽略 (CGCS2000 file: transformation parameters ignored)' });
    params = undefined;
  }
  if (datum === 'WGS84') warn({ line: at['坐标系'], field: '坐标系', message: 'WGS84坐标按CGCS2000处理（两者相差厘米级） (WGS84 treated as CGCS2000: they differ by centimetres)' });

  const zoneText = header['带号'] ?? '';
  const prefixZone = first ? zoneFromEasting(first.easting) : null;
  let zone: number | null = null;
  if (zoneText !== '') {
    const m = /^\D*?(\d{1,2})\D*$/.exec(zoneText);
    if (!m) report({ line: at['带号'], field: '带号', message: `带号“${zoneText}”不是数字 (zone is not a number)` });
    else zone = Number(m[1]);
    if (zone !== null && prefixZone !== null && prefixZone !== zone) {
      report({ line: first!.line, field: 'Y', message: `横坐标带号${prefixZone}与文件头带号${zone}不一致 (easting prefix ${prefixZone} contradicts 带号 ${zone})` });
    }
  } else if (prefixZone !== null) zone = prefixZone;
  else report({ line: at['带号'] ?? first?.line ?? 1, field: '带号', message: '缺少带号，且横坐标不含带号前缀，无法确定投影带 (no 带号 and no zone prefix in the eastings: zone unknown)' });

  if (zone === null || datum === null || failed) return null;
  let epsg: number;
  try {
    epsg = epsgForZone(zone, prefixZone !== null, datum);
  } catch (e) {
    report({ line: at['带号'] ?? first?.line, field: '带号', message: (e as Error).message });
    return null;
  }
  const status = params ? 'needs-transformation' : 'ok';
  return { epsg, zone, prefixed: prefixZone !== null, datum, status, ...(params ? { transformationParameters: params } : {}) };
}

// GRS80 (CGCS2000) ellipsoid.
const A = 6378137;
const F = 1 / 298.257222101;
const E2 = 2 * F - F * F;
const EP2 = E2 / (1 - E2);
const M1 = 1 - E2 / 4 - (3 * E2 ** 2) / 64 - (5 * E2 ** 3) / 256;
const RAD = Math.PI / 180;

function meridianArc(phi: number): number {
  return A * (M1 * phi - ((3 * E2) / 8 + (3 * E2 ** 2) / 32 + (45 * E2 ** 3) / 1024) * Math.sin(2 * phi)
    + ((15 * E2 ** 2) / 256 + (45 * E2 ** 3) / 1024) * Math.sin(4 * phi) - ((35 * E2 ** 3) / 3072) * Math.sin(6 * phi));
}

/** CGCS2000 lon/lat degrees → GK [easting, northing] metres in `zone`. */
export function lonLatToGaussKruger(lon: number, lat: number, zone: number, prefixed: boolean): [number, number] {
  const phi = lat * RAD;
  const [s, c, t] = [Math.sin(phi), Math.cos(phi), Math.tan(phi)];
  const N = A / Math.sqrt(1 - E2 * s * s);
  const T = t * t;
  const C = EP2 * c * c;
  const a = (lon - centralMeridian(zone)) * RAD * c;
  const x = N * (a + ((1 - T + C) * a ** 3) / 6 + ((5 - 18 * T + T * T + 72 * C - 58 * EP2) * a ** 5) / 120);
  const y = meridianArc(phi) + N * t * (a * a / 2 + ((5 - T + 9 * C + 4 * C * C) * a ** 4) / 24
    + ((61 - 58 * T + T * T + 600 * C - 330 * EP2) * a ** 6) / 720);
  return [x + 500000 + (prefixed ? zone * 1e6 : 0), y];
}

/** GK [easting, northing] metres (zone prefix optional) → CGCS2000 [lon, lat] degrees. */
export function gaussKrugerToLonLat(easting: number, northing: number, zone: number): [number, number] {
  const x = (easting >= 1e7 ? easting % 1e6 : easting) - 500000;
  const e1 = (1 - Math.sqrt(1 - E2)) / (1 + Math.sqrt(1 - E2));
  const mu = northing / (A * M1);
  const phi1 = mu + ((3 * e1) / 2 - (27 * e1 ** 3) / 32) * Math.sin(2 * mu) + ((21 * e1 ** 2) / 16 - (55 * e1 ** 4) / 32) * Math.sin(4 * mu)
    + ((151 * e1 ** 3) / 96) * Math.sin(6 * mu) + ((1097 * e1 ** 4) / 512) * Math.sin(8 * mu);
  const [s, c, t] = [Math.sin(phi1), Math.cos(phi1), Math.tan(phi1)];
  const C = EP2 * c * c;
  const T = t * t;
  const N = A / Math.sqrt(1 - E2 * s * s);
  const R = (A * (1 - E2)) / (1 - E2 * s * s) ** 1.5;
  const D = x / N;
  const lat = phi1 - ((N * t) / R) * (D * D / 2 - ((5 + 3 * T + 10 * C - 4 * C * C - 9 * EP2) * D ** 4) / 24
    + ((61 + 90 * T + 298 * C + 45 * T * T - 252 * EP2 - 3 * C * C) * D ** 6) / 720);
  const lon = (D - ((1 + 2 * T + C) * D ** 3) / 6 + ((5 - 2 * C + 28 * T - 3 * C * C + 8 * EP2 + 24 * T * T) * D ** 5) / 120) / c;
  return [centralMeridian(zone) + lon / RAD, lat / RAD];
}

/** Jilin province's extent, degrees (a generous box: warnings only). */
export const JILIN_BOUNDS = { minLon: 121.6, maxLon: 131.3, minLat: 40.8, maxLat: 46.3 } as const;

/** A warning text when a GK point (metres, in `zone`) falls outside Jilin, else null. */
export function jilinPlausibilityWarning(easting: number, northing: number, zone: number): string | null {
  const [lon, lat] = gaussKrugerToLonLat(easting, northing, zone);
  const b = JILIN_BOUNDS;
  if (lon >= b.minLon && lon <= b.maxLon && lat >= b.minLat && lat <= b.maxLat) return null;
  const where = Number.isFinite(lon) && Number.isFinite(lat) ? `约 ${lat.toFixed(3)}°N ${lon.toFixed(3)}°E` : '无法换算';
  return `坐标落在吉林省范围之外（${where}；可能X/Y颠倒或带号错误） (coordinates fall outside Jilin province: X/Y swapped or wrong zone?)`;
}
