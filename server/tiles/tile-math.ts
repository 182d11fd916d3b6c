/** Web Mercator tile grid (WebMercatorQuad): z/x/y validation and bounds. */
import { BadRequestError } from '../errors.js';

export const MAX_ZOOM = 22;

export interface TileCoord {
  z: number;
  x: number;
  y: number;
}

/** Parses and range-checks z/x/y; a value outside the grid is a 400 naming it. */
export function parseTile(zRaw: string, xRaw: string, yRaw: string): TileCoord {
  const num = (raw: string, name: string) => {
    if (!/^\d{1,8}$/.test(raw)) throw new BadRequestError(`瓦片坐标 ${name} 必须是非负整数 (${name} must be a non-negative integer, got "${raw}")`, { parameter: name });
    return Number(raw);
  };
  const z = num(zRaw, 'z');
  if (z > MAX_ZOOM) throw new BadRequestError(`缩放级别超出范围 (z must be 0–${MAX_ZOOM}, got ${z})`, { parameter: 'z' });
  const x = num(xRaw, 'x');
  const y = num(yRaw, 'y');
  const n = 2 ** z;
  if (x >= n) throw new BadRequestError(`x 超出第${z}级瓦片范围 (x must be < ${n} at z${z})`, { parameter: 'x' });
  if (y >= n) throw new BadRequestError(`y 超出第${z}级瓦片范围 (y must be < ${n} at z${z})`, { parameter: 'y' });
  return { z, x, y };
}

/** lon/lat (degrees) of a tile's corners: [west, south, east, north] */
export function tileBoundsLonLat({ z, x, y }: TileCoord): [number, number, number, number] {
  const n = 2 ** z;
  const lon = (px: number) => (px / n) * 360 - 180;
  const lat = (py: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * py) / n))) * 180) / Math.PI;
  return [lon(x), lat(y + 1), lon(x + 1), lat(y)];
}

/** the tile containing a lon/lat at zoom z */
export function tileAt(lon: number, lat: number, z: number): TileCoord {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const r = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return { z, x: Math.min(n - 1, Math.max(0, x)), y: Math.min(n - 1, Math.max(0, y)) };
}
