/**
 * CRSs offered by reference (OGC API Features Part 2). Axis order follows the authority:
 * EPSG:4490/4326 are latitude-first and the CGCS2000 Gauss-Kruger CRSs are northing-first (X
 * north, Y east — as Chinese surveyors write them); CRS84 and Web Mercator are east-first.
 * CGCS2000 and WGS 84 agree to a few centimetres here, so CRS84 output is the stored lon/lat.
 */
import { BadRequestError } from '../errors.js';

export interface CrsInfo {
  uri: string;
  srid: number;
  /** true when the authority's first axis is northing/latitude */
  northFirst: boolean;
  /** coordinates decimals that keep ~1 mm */
  decimals: number;
  title: string;
  /**
   * Where a position may lie, as [min, max] per axis (east = longitude/easting, north =
   * latitude/northing): ±180°/±90° for lon/lat; for projected CRSs a generous box around their
   * area of use (zone prefix included), outside which PostGIS's transform fails or means nothing.
   */
  bounds: { east: [number, number]; north: [number, number]; eastName: string; northName: string };
}

const LONLAT = { east: [-180, 180], north: [-90, 90], eastName: 'longitude', northName: 'latitude' } as CrsInfo['bounds'];
/** Web Mercator's square; the northing reaches ±85.06° there */
const MERCATOR = { east: [-20037508.35, 20037508.35], north: [-20048966.11, 20048966.11], eastName: 'easting', northName: 'northing' } as CrsInfo['bounds'];
/** 3-degree Gauss-Kruger: easting 0–1000 km (after the zone prefix), northing 0–10 000 km (the equator to near the pole) */
const gk = (prefix: number) => ({ east: [prefix * 1e6, prefix * 1e6 + 1e6], north: [0, 1e7], eastName: 'easting', northName: 'northing' }) as CrsInfo['bounds'];

export const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
const epsg = (code: number) => `http://www.opengis.net/def/crs/EPSG/0/${code}`;

export const SUPPORTED_CRS: readonly CrsInfo[] = [
  { uri: CRS84, srid: 4490, northFirst: false, decimals: 9, title: 'WGS 84 / CGCS2000 经纬度（经度在前）', bounds: LONLAT },
  { uri: epsg(4490), srid: 4490, northFirst: true, decimals: 9, title: 'CGCS2000 地理坐标（纬度在前）', bounds: LONLAT },
  { uri: epsg(4326), srid: 4326, northFirst: true, decimals: 9, title: 'WGS 84（纬度在前）', bounds: LONLAT },
  { uri: epsg(3857), srid: 3857, northFirst: false, decimals: 3, title: 'Web Mercator', bounds: MERCATOR },
  { uri: epsg(4530), srid: 4530, northFirst: true, decimals: 3, title: 'CGCS2000 3度带高斯-克吕格 第42带（带号）', bounds: gk(42) },
  { uri: epsg(4551), srid: 4551, northFirst: true, decimals: 3, title: 'CGCS2000 3度带高斯-克吕格 中央经线126°E', bounds: gk(0) },
];

export const STORAGE_CRS = epsg(4490);


/** Accepts the URI, "EPSG:nnnn", or "CRS84"; throws 400 naming `parameter` otherwise. */
export function resolveCrs(value: string, parameter: string): CrsInfo {
  const v = value.trim();
  const m = /^(?:EPSG:|urn:ogc:def:crs:EPSG::|https?:\/\/www\.opengis\.net\/def\/crs\/EPSG\/0\/)(\d+)$/i.exec(v);
  const found =
    /^(CRS84|OGC:CRS84|\[?OGC:CRS84\]?|urn:ogc:def:crs:OGC:1\.3:CRS84|https?:\/\/www\.opengis\.net\/def\/crs\/OGC\/1\.3\/CRS84)$/i.test(v)
      ? SUPPORTED_CRS[0]
      : m
        ? SUPPORTED_CRS.find((c) => c.uri === epsg(Number(m[1])))
        : undefined;
  if (!found) {
    throw new BadRequestError(`不支持的坐标参考系 (unsupported ${parameter} "${value}"; supported: ${SUPPORTED_CRS.map((c) => c.uri).join(', ')})`, {
      parameter,
    });
  }
  return found;
}
