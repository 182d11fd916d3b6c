/** The viewer's Gauss-Kruger read-out agrees with the server's projection to the millimetre. */
import { describe, expect, it } from 'vitest';
import { lonLatToGaussKruger } from '../../server/ingest/gauss-kruger.js';
import { toDms, toGaussKruger } from '../../web/src/gauss-kruger.ts';

describe('the cursor read-out projection (CGCS2000, 3° zone 42, CM 126°E)', () => {
  it('puts the central meridian at Y = 42 500 000 m and agrees with the server within 1 mm across Dehui', () => {
    expect(toGaussKruger(126, 44.5).y).toBeCloseTo(42_500_000, 6);
    for (const lon of [125.23, 125.6, 126, 126.4]) {
      for (const lat of [44.03, 44.5, 44.89]) {
        const web = toGaussKruger(lon, lat);
        const [easting, northing] = lonLatToGaussKruger(lon, lat, 42, true);
        expect(Math.abs(web.y - easting)).toBeLessThan(0.001);
        expect(Math.abs(web.x - northing)).toBeLessThan(0.001);
      }
    }
  });

  it('drops the zone prefix on request (EPSG:4551 form) and writes 度分秒', () => {
    expect(toGaussKruger(126.1, 44.5, 42, false).y).toBeCloseTo(toGaussKruger(126.1, 44.5).y - 42_000_000, 6);
    expect(toDms(125.5)).toBe('125°30′00.00″');
    expect(toDms(44.999999999)).toBe('45°00′00.00″');
  });
});
