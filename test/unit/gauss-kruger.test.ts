import { describe, expect, it } from 'vitest';
import { UnprocessableError } from '../../server/errors.js';
import {
  describeCrs, epsgForZone, gaussKrugerFromEpsg, gaussKrugerToLonLat, jilinPlausibilityWarning,
  lonLatToGaussKruger, lonLatToZone, projStringFor, recognizeDatum, zoneFromEasting,
} from '../../server/ingest/gauss-kruger.js';

describe('epsgForZone', () => {
  it('gives Dehui’s zone 42 as EPSG:4530 with the zone prefix and EPSG:4551 without', () => {
    expect(epsgForZone(42, true)).toBe(4530);
    expect(epsgForZone(42, false)).toBe(4551);
  });

  it('covers CGCS2000 zones 25–45 as 4513–4533 (prefixed) and 4534–4554 (central meridian)', () => {
    expect([epsgForZone(25, true), epsgForZone(45, true)]).toEqual([4513, 4533]);
    expect([epsgForZone(25, false), epsgForZone(45, false)]).toEqual([4534, 4554]);
    expect(epsgForZone(40, true)).toBe(4528);
  });

  it('gives the Xian 1980 and Beijing 1954 series when asked', () => {
    expect([epsgForZone(42, true, 'Xian1980'), epsgForZone(42, false, 'Xian1980')]).toEqual([2366, 2387]);
    expect([epsgForZone(42, true, 'Beijing1954'), epsgForZone(42, false, 'Beijing1954')]).toEqual([2418, 2439]);
  });

  it('refuses a zone outside 25–45 with a 422 naming the zone', () => {
    for (const zone of [24, 46, 21, 41.5]) {
      expect(() => epsgForZone(zone, true)).toThrow(UnprocessableError);
      expect(() => epsgForZone(zone, true)).toThrow(new RegExp(`带号 ${zone} `));
    }
  });

  it('is inverted by gaussKrugerFromEpsg for every zone and datum', () => {
    for (let zone = 25; zone <= 45; zone++) {
      for (const prefixed of [true, false]) {
        for (const datum of ['CGCS2000', 'Xian1980', 'Beijing1954'] as const) {
          expect(gaussKrugerFromEpsg(epsgForZone(zone, prefixed, datum))).toEqual({ zone, prefixed, datum });
        }
      }
    }
    expect(gaussKrugerFromEpsg(4490)).toBeNull();
    expect(gaussKrugerFromEpsg(3857)).toBeNull();
    expect(gaussKrugerFromEpsg(4530.5)).toBeNull();
  });
});

describe('zones from coordinates', () => {
  it('reads the zone from the first two digits of an 8-digit easting only', () => {
    expect(zoneFromEasting(42512345.67)).toBe(42);
    expect(zoneFromEasting(40520986.477)).toBe(40);
    expect(zoneFromEasting(512345.67)).toBeNull();
    expect(zoneFromEasting(4910000)).toBeNull();
    expect(zoneFromEasting(Number.NaN)).toBeNull();
  });

  it('finds the 3-degree zone of a longitude (zone n spans 3n ± 1.5°)', () => {
    expect(lonLatToZone(125.7)).toBe(42);
    expect(lonLatToZone(126.4)).toBe(42);
    expect(lonLatToZone(124.4)).toBe(41);
    expect(lonLatToZone(127.6)).toBe(43);
    expect(lonLatToZone(120.218)).toBe(40);
  });
});

describe('Gauss-Kruger projection (plausibility only; PostGIS does the real transform)', () => {
  // Reference values: PostGIS ST_Transform between EPSG:4490 and EPSG:4530/4551/4528/4531.
  const forward: [number, number, boolean, number, number][] = [
    [126, 44, true, 42500000, 4873822.369596159],
    [125.7, 44.5, true, 42476141.12934765, 4929424.712406431],
    [124.5, 44, true, 42379690.20731149, 4874916.481329377],
    [127.4, 43.2, true, 42613787.12969364, 4785890.557454691],
    [126.3, 44.9, false, 523695.1602576401, 4973875.085913109],
  ];

  it('projects CGCS2000 lon/lat to zone 42 within a millimetre of PostGIS', () => {
    for (const [lon, lat, prefixed, e, n] of forward) {
      const [easting, northing] = lonLatToGaussKruger(lon, lat, 42, prefixed);
      expect(Math.abs(easting - e)).toBeLessThan(0.001);
      expect(Math.abs(northing - n)).toBeLessThan(0.001);
    }
  });

  it('unprojects to within 1e-7° of PostGIS, with or without the zone prefix', () => {
    const cases: [number, number, number, number, number][] = [
      [42510000, 4910000, 42, 126.1253661012358, 44.32551725010401],
      [511000, 4909000, 42, 126.13788159840998, 44.31650342876346],
      [40520986.477, 3353189.181, 40, 120.21816228533174, 30.298188064038015],
      [43400000, 4650000, 43, 127.79341816601907, 41.97892196758319],
    ];
    for (const [e, n, zone, lon, lat] of cases) {
      const [x, y] = gaussKrugerToLonLat(e, n, zone);
      expect(Math.abs(x - lon)).toBeLessThan(1e-7);
      expect(Math.abs(y - lat)).toBeLessThan(1e-7);
    }
  });
});

describe('datum names and descriptions', () => {
  it('recognises the names surveyors write in 坐标系', () => {
    expect(['2000国家大地坐标系', 'CGCS2000', 'CGCS 2000', '国家2000坐标系', '2000坐标系'].map(recognizeDatum)).toEqual(Array(5).fill('CGCS2000'));
    expect(['1980西安坐标系', '西安80', 'Xian 1980'].map(recognizeDatum)).toEqual(Array(3).fill('Xian1980'));
    expect(['1954北京坐标系', '北京54', 'Beijing1954'].map(recognizeDatum)).toEqual(Array(3).fill('Beijing1954'));
    expect(['WGS84', 'WGS-84', 'WGS 1984'].map(recognizeDatum)).toEqual(Array(3).fill('WGS84'));
    expect(recognizeDatum('地方独立坐标系')).toBeNull();
    expect(recognizeDatum('UTM51N')).toBeNull();
  });

  it('describes a CRS in Chinese and English with its EPSG code', () => {
    const d = describeCrs({ epsg: 4530, zone: 42, prefixed: true, datum: 'CGCS2000' });
    expect(d.zh).toContain('第42带');
    expect(d.zh).toContain('中央经线126°');
    expect(d.zh).toContain('EPSG:4530');
    expect(d.en).toContain('zone 42');
    expect(d.en).toContain('zone-prefixed');
  });

  it('builds a +towgs84 PROJ string from a Xian 1980 file’s 7 parameters', () => {
    const s = projStringFor({ epsg: 2366, zone: 42, prefixed: true, datum: 'Xian1980', status: 'needs-transformation', transformationParameters: [1, 2, 3, 0.1, 0.2, 0.3, 4] });
    expect(s).toContain('+lon_0=126');
    expect(s).toContain('+x_0=42500000');
    expect(s).toContain('+a=6378140 +rf=298.257');
    expect(s).toContain('+towgs84=1,2,3,0.1,0.2,0.3,4');
  });
});

describe('jilinPlausibilityWarning', () => {
  it('stays silent for a point in Dehui', () => {
    expect(jilinPlausibilityWarning(42476141, 4929424, 42)).toBeNull();
    expect(jilinPlausibilityWarning(476141, 4929424, 42)).toBeNull();
  });

  it('warns in Chinese for the Hangzhou reference parcel and for a wrong zone', () => {
    expect(jilinPlausibilityWarning(40520986.477, 3353189.181, 40)).toMatch(/坐标落在吉林省范围之外.*30\.298°N 120\.218°E/);
    expect(jilinPlausibilityWarning(476141, 4929424, 38)).toMatch(/吉林省范围之外/);
  });

  it('warns when northing and easting are exchanged', () => {
    expect(jilinPlausibilityWarning(4929424, 476141, 42)).toMatch(/X\/Y颠倒/);
  });
});
