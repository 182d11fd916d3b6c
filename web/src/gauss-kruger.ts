/**
 * Gauss-Kruger forward projection, CGCS2000 ellipsoid, for the cursor read-out.
 * Krüger's n-series to n⁶ (Karney 2011 form), sub-millimetre within a 3° zone; scale factor 1.
 * Dehui lies wholly in the 3-degree zone 42 (central meridian 126°E; EPSG:4530 prefixed,
 * EPSG:4551 without prefix). Surveyors write X = northing, Y = easting.
 */
const A = 6378137; // CGCS2000 semi-major axis, m
const F = 1 / 298.257222101; // CGCS2000 flattening
const N = F / (2 - F); // third flattening
const RAD = Math.PI / 180;

/** rectifying radius (A in Karney's notation), m */
const RECT = (A / (1 + N)) * (1 + N ** 2 / 4 + N ** 4 / 64 + N ** 6 / 256);
const ALPHA = [
  N / 2 - (2 * N ** 2) / 3 + (5 * N ** 3) / 16 + (41 * N ** 4) / 180 - (127 * N ** 5) / 288 + (7891 * N ** 6) / 37800,
  (13 * N ** 2) / 48 - (3 * N ** 3) / 5 + (557 * N ** 4) / 1440 + (281 * N ** 5) / 630 - (1983433 * N ** 6) / 1935360,
  (61 * N ** 3) / 240 - (103 * N ** 4) / 140 + (15061 * N ** 5) / 26880 + (167603 * N ** 6) / 181440,
  (49561 * N ** 4) / 161280 - (179 * N ** 5) / 168 + (6601661 * N ** 6) / 7257600,
  (34729 * N ** 5) / 80640 - (3418889 * N ** 6) / 1995840,
  (212378941 * N ** 6) / 319334400,
];
const E = Math.sqrt(F * (2 - F)); // first eccentricity

export const DEHUI_ZONE = 42;

/** central meridian of a 3-degree zone, degrees east */
export const centralMeridian = (zone: number): number => zone * 3;

/** the 3-degree zone containing a longitude (degrees east) */
export const zoneForLongitude = (lon: number): number => Math.round(lon / 3);

export interface GaussKrugerPoint {
  /** northing, m (surveyors' X) */
  x: number;
  /** easting, m, with 500 000 false easting and, when prefixed, zone × 1 000 000 (surveyors' Y) */
  y: number;
  zone: number;
}

/**
 * lon/lat: CGCS2000 degrees (EPSG:4490) → GK zone coordinates, metres.
 * prefixed: easting carries the zone number (42 500 000 false easting for zone 42).
 */
export function toGaussKruger(lon: number, lat: number, zone = DEHUI_ZONE, prefixed = true): GaussKrugerPoint {
  const phi = lat * RAD;
  const lambda = (lon - centralMeridian(zone)) * RAD;
  const s = Math.sin(phi);
  // conformal latitude via t = tan χ
  const t = Math.sinh(Math.atanh(s) - E * Math.atanh(E * s));
  const xi = Math.atan2(t, Math.cos(lambda));
  const eta = Math.atanh(Math.sin(lambda) / Math.sqrt(1 + t * t));
  let northing = xi;
  let easting = eta;
  for (let j = 1; j <= ALPHA.length; j++) {
    northing += ALPHA[j - 1] * Math.sin(2 * j * xi) * Math.cosh(2 * j * eta);
    easting += ALPHA[j - 1] * Math.cos(2 * j * xi) * Math.sinh(2 * j * eta);
  }
  return { x: RECT * northing, y: RECT * easting + 500000 + (prefixed ? zone * 1e6 : 0), zone };
}

/** "X=4 912 345.678" style text with fixed decimals (metres to the millimetre by default). */
export function formatMetres(v: number, decimals = 3): string {
  return v.toFixed(decimals);
}

/** degrees → 度分秒 text, e.g. 125°48′12.34″ */
export function toDms(deg: number, decimals = 2): string {
  const sign = deg < 0 ? '-' : '';
  let v = Math.abs(deg);
  let d = Math.floor(v);
  v = (v - d) * 60;
  let m = Math.floor(v);
  let s = Number(((v - m) * 60).toFixed(decimals));
  if (s >= 60) {
    s -= 60;
    m += 1;
  }
  if (m >= 60) {
    m -= 60;
    d += 1;
  }
  return `${sign}${d}°${String(m).padStart(2, '0')}′${s.toFixed(decimals).padStart(decimals + 3, '0')}″`;
}
