/**
 * CGCS2000 3-degree Gauss-Kruger zone 42 (EPSG:4551: CM 126°E, k0 = 1, false easting 500 000 m,
 * no zone prefix) in pure TypeScript, so the farmland generator runs without PostGIS.
 *
 * Krüger series to 6th order in n (Karney 2011, "Transverse Mercator with an accuracy of a few
 * nanometres"): agrees with PROJ's etmerc, i.e. PostGIS ST_Transform(…, 4551), to well below a
 * millimetre inside the zone (checked by test/unit/dataset-invariants.test.ts).
 */

const A_AXIS = 6378137; // CGCS2000 semi-major axis, metres
const F = 1 / 298.257222101; // CGCS2000 flattening (GRS80)
const K0 = 1;
const LON0 = (126 * Math.PI) / 180;
const FALSE_EASTING = 500000;

const N = F / (2 - F);
const E2 = F * (2 - F);
const E = Math.sqrt(E2);
const N2 = N * N, N3 = N2 * N, N4 = N3 * N, N5 = N4 * N, N6 = N5 * N;
/** Rectifying radius: metres of northing per radian of rectifying latitude. */
const A_RECT = (A_AXIS / (1 + N)) * (1 + N2 / 4 + N4 / 64 + N6 / 256);

const ALPHA = [
  N / 2 - (2 / 3) * N2 + (5 / 16) * N3 + (41 / 180) * N4 - (127 / 288) * N5 + (7891 / 37800) * N6,
  (13 / 48) * N2 - (3 / 5) * N3 + (557 / 1440) * N4 + (281 / 630) * N5 - (1983433 / 1935360) * N6,
  (61 / 240) * N3 - (103 / 140) * N4 + (15061 / 26880) * N5 + (167603 / 181440) * N6,
  (49561 / 161280) * N4 - (179 / 168) * N5 + (6601661 / 7257600) * N6,
  (34729 / 80640) * N5 - (3418889 / 1995840) * N6,
  (212378941 / 319334400) * N6,
];
const BETA = [
  N / 2 - (2 / 3) * N2 + (37 / 96) * N3 - (1 / 360) * N4 - (81 / 512) * N5 + (96199 / 604800) * N6,
  (1 / 48) * N2 + (1 / 15) * N3 - (437 / 1440) * N4 + (46 / 105) * N5 - (1118711 / 3870720) * N6,
  (17 / 480) * N3 - (37 / 840) * N4 - (209 / 4480) * N5 + (5569 / 90720) * N6,
  (4397 / 161280) * N4 - (11 / 504) * N5 - (830251 / 7257600) * N6,
  (4583 / 161280) * N5 - (108847 / 3991680) * N6,
  (20648693 / 638668800) * N6,
];

/** Conformal latitude tangent τ' from geodetic tangent τ. */
function taupOf(tau: number): number {
  const tau1 = Math.hypot(1, tau);
  const sig = Math.sinh(E * Math.atanh((E * tau) / tau1));
  return Math.hypot(1, sig) * tau - sig * tau1;
}

/** Lon/lat degrees (EPSG:4490) → [easting, northing] metres (EPSG:4551). */
export function toGK(lon: number, lat: number): [number, number] {
  const phi = (lat * Math.PI) / 180;
  const lam = (lon * Math.PI) / 180 - LON0;
  const taup = taupOf(Math.tan(phi));
  const xip = Math.atan2(taup, Math.cos(lam));
  const etap = Math.asinh(Math.sin(lam) / Math.hypot(taup, Math.cos(lam)));
  let xi = xip;
  let eta = etap;
  for (let j = 1; j <= 6; j++) {
    xi += ALPHA[j - 1] * Math.sin(2 * j * xip) * Math.cosh(2 * j * etap);
    eta += ALPHA[j - 1] * Math.cos(2 * j * xip) * Math.sinh(2 * j * etap);
  }
  return [FALSE_EASTING + K0 * A_RECT * eta, K0 * A_RECT * xi];
}

/** [easting, northing] metres (EPSG:4551) → [lon, lat] degrees (EPSG:4490). */
export function fromGK(x: number, y: number): [number, number] {
  const xi = y / (K0 * A_RECT);
  const eta = (x - FALSE_EASTING) / (K0 * A_RECT);
  let xip = xi;
  let etap = eta;
  for (let j = 1; j <= 6; j++) {
    xip -= BETA[j - 1] * Math.sin(2 * j * xi) * Math.cosh(2 * j * eta);
    etap -= BETA[j - 1] * Math.cos(2 * j * xi) * Math.sinh(2 * j * eta);
  }
  const s = Math.sinh(etap);
  const c = Math.cos(xip);
  const taup = Math.sin(xip) / Math.hypot(s, c);
  const lam = Math.atan2(s, c);
  // Newton iteration for the geodetic latitude tangent (converges in 2–3 steps).
  let tau = taup / (1 - E2);
  for (let i = 0; i < 5; i++) {
    const taupa = taupOf(tau);
    const dtau =
      ((taup - taupa) * (1 + (1 - E2) * tau * tau)) /
      ((1 - E2) * Math.hypot(1, tau) * Math.hypot(1, taupa));
    tau += dtau;
    if (Math.abs(dtau) < 1e-14) break;
  }
  return [((lam + LON0) * 180) / Math.PI, (Math.atan(tau) * 180) / Math.PI];
}

/** Krüger δ: geodetic latitude from conformal latitude, φ = χ + Σ δ_j sin(2jχ). */
const DELTA = [
  2 * N - (2 / 3) * N2 - 2 * N3 + (116 / 45) * N4 + (26 / 45) * N5 - (2854 / 675) * N6,
  (7 / 3) * N2 - (8 / 5) * N3 - (227 / 45) * N4 + (2704 / 315) * N5 + (2323 / 945) * N6,
  (56 / 15) * N3 - (136 / 35) * N4 - (1262 / 105) * N5 + (73814 / 2835) * N6,
  (4279 / 630) * N4 - (332 / 35) * N5 - (399572 / 14175) * N6,
  (4174 / 315) * N5 - (144838 / 6237) * N6,
  (601676 / 22275) * N6,
];

/**
 * Same as fromGK with a quarter of the transcendental calls (multiple-angle recurrences and the
 * δ series instead of Newton): for the 200 000-parcel benchmark layer. Agrees with fromGK to
 * ~1e-11° (sub-millimetre) inside the zone.
 */
export function fromGKFast(x: number, y: number): [number, number] {
  const xi = y / (K0 * A_RECT);
  const eta = (x - FALSE_EASTING) / (K0 * A_RECT);
  const s1 = Math.sin(2 * xi), c1 = Math.cos(2 * xi);
  const e2 = Math.exp(2 * eta), sh1 = (e2 - 1 / e2) / 2, ch1 = (e2 + 1 / e2) / 2;
  let sj = s1, cj = c1, shj = sh1, chj = ch1;
  let xip = xi, etap = eta;
  for (let j = 0; j < 6; j++) {
    xip -= BETA[j] * sj * chj;
    etap -= BETA[j] * cj * shj;
    const sn = sj * c1 + cj * s1, cn = cj * c1 - sj * s1;
    const shn = shj * ch1 + chj * sh1, chn = chj * ch1 + shj * sh1;
    sj = sn; cj = cn; shj = shn; chj = chn;
  }
  const ep = Math.exp(etap), s = (ep - 1 / ep) / 2, ch = (ep + 1 / ep) / 2;
  const chi = Math.asin(Math.sin(xip) / ch);
  const lam = Math.atan2(s, Math.cos(xip));
  const a1 = Math.sin(2 * chi), b1 = Math.cos(2 * chi);
  let aj = a1, bj = b1, phi = chi;
  for (let j = 0; j < 6; j++) {
    phi += DELTA[j] * aj;
    const an = aj * b1 + bj * a1, bn = bj * b1 - aj * a1;
    aj = an; bj = bn;
  }
  return [((lam + LON0) * 180) / Math.PI, (phi * 180) / Math.PI];
}

/**
 * Point scale factor of the projection at easting x (metres), to second order in the distance
 * from the central meridian (R = 6381 km, the mean radius at 44.5°N): good to ~1e-8 here.
 * Planar GK area / k² then approximates the ellipsoidal area to ~1e-6; used only for quick areas
 * of benchmark parcels, never for published figures.
 */
export function gkScaleFactor(x: number): number {
  const d = (x - FALSE_EASTING) / 6381000;
  return K0 * (1 + (d * d) / 2 + (d * d * d * d) / 24);
}
