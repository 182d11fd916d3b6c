/** .prj recognition, CRS codes and magnitude detection (no database). */
import { describe, expect, it } from 'vitest';
import { crsFromPrj } from '../../server/ingest/prj-crs.js';
import { detectCrsFromBounds, parseCrsCode, sourceCrsFromEpsg } from '../../server/ingest/source-crs.js';
import { detectFormat } from '../../server/ingest/format-detect.js';
import { isUnsafeEntryName } from '../../server/ingest/zip-extract.js';

const esriGk = (name: string, fe: number, cm: number) =>
  `PROJCS["${name}",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",${fe}],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",${cm}],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`;

describe('.prj recognition', () => {
  it.each([
    ['CGCS2000_3_Degree_GK_Zone_42', 42500000, 126, 4530],
    ['CGCS2000_3_Degree_GK_CM_126E', 500000, 126, 4551],
    ['CGCS2000 / 3-degree Gauss-Kruger zone 41', 41500000, 123, 4529],
    ['CGCS2000 / 3-degree Gauss-Kruger CM 123E', 500000, 123, 4550],
    ['custom name', 42500000, 126, 4530], // by parameters
    ['custom name', 500000, 126, 4551],
  ])('%s (FE %d, CM %d) → EPSG:%d', (name, fe, cm, epsg) => {
    expect(crsFromPrj(esriGk(name, fe, cm))?.epsg).toBe(epsg);
  });

  it('recognises every CGCS2000 3-degree zone 25–45, prefixed and not', () => {
    for (let zone = 25; zone <= 45; zone++) {
      expect(crsFromPrj(esriGk(`CGCS2000_3_Degree_GK_Zone_${zone}`, zone * 1e6 + 5e5, zone * 3))?.epsg).toBe(4488 + zone);
      expect(crsFromPrj(esriGk(`CGCS2000_3_Degree_GK_CM_${zone * 3}E`, 5e5, zone * 3))?.epsg).toBe(4534 + zone - 25);
    }
  });

  it('geographic CGCS2000 and WGS 84, Web Mercator, EPSG authority', () => {
    expect(crsFromPrj('GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]]]')?.epsg).toBe(4490);
    expect(crsFromPrj('GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]]]')?.epsg).toBe(4326);
    expect(crsFromPrj('PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984"]]')?.epsg).toBe(3857);
    expect(crsFromPrj('PROJCS["something",GEOGCS["x"],AUTHORITY["EPSG","4530"]]')?.epsg).toBe(4530);
  });

  it('Xian 1980 is recognised, then refused without towgs84 and accepted with it', () => {
    const prj = crsFromPrj('PROJCS["Xian_1980_3_Degree_GK_Zone_42",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980"]]]');
    expect(prj).toMatchObject({ epsg: 2366, datum: 'Xian1980' });
    expect(() => sourceCrsFromEpsg(2366, 'prj')).toThrow(/towgs84/);
    expect(sourceCrsFromEpsg(2366, 'prj', [1, 2, 3, 0, 0, 0, 0]).projString).toMatch(/\+towgs84=1,2,3,0,0,0,0/);
  });

  it('6-degree zones are flagged', () => {
    expect(crsFromPrj('PROJCS["CGCS2000_GK_Zone_21_6_Degree",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000"]]')?.sixDegree).toBe(true);
  });
});

describe('crs codes and magnitudes', () => {
  it('parses the crs parameter forms', () => {
    expect(['4530', 'EPSG:4530', 'urn:ogc:def:crs:EPSG::4530', 'http://www.opengis.net/def/crs/EPSG/0/4530'].map(parseCrsCode)).toEqual([4530, 4530, 4530, 4530]);
    expect(parseCrsCode('http://www.opengis.net/def/crs/OGC/1.3/CRS84')).toBe(4326);
    expect(parseCrsCode('mercator')).toBeNull();
  });

  it('detects lon/lat, zone-prefixed GK, GK without prefix and Web Mercator', () => {
    expect(detectCrsFromBounds([125.6, 44.4, 125.8, 44.6])?.crs.srid).toBe(4490);
    expect(detectCrsFromBounds([42520000, 4900000, 42530000, 4910000])?.crs.srid).toBe(4530);
    expect(detectCrsFromBounds([520000, 4900000, 530000, 4910000])?.crs.srid).toBe(4551);
    expect(detectCrsFromBounds([13950000, 5530000, 13960000, 5540000])?.crs.srid).toBe(3857);
    expect(detectCrsFromBounds([-1e9, 0, 1e9, 1])).toBeNull();
  });
});

describe('format detection and zip names', () => {
  it('detects by content, not by name', () => {
    expect(detectFormat(Buffer.from('PK\u0003\u0004rest', 'latin1'), 'a.geojson')).toBe('zip');
    expect(detectFormat(Buffer.from('\uFEFF  {"type":"Feature"}'), 'a.zip')).toBe('geojson');
    expect(detectFormat(Buffer.from('[属性描述]\n坐标系=2000国家大地坐标系'), 'a.json')).toBe('txt');
    expect(detectFormat(Buffer.from('J1,1,4910000.000,42510000.000\n'), 'a.dat')).toBe('txt');
    expect(detectFormat(Buffer.from('SQLite format 3\u0000xxxx', 'latin1'), 'a.json')).toBe('gpkg');
    expect(detectFormat(Buffer.from('<?xml version="1.0"?><!-- x --><kml xmlns="http://www.opengis.net/kml/2.2">'), 'a.txt')).toBe('kml');
    expect(() => detectFormat(Buffer.alloc(0), 'a')).toThrow(/empty/);
  });

  it('flags names that would leave the extraction folder', () => {
    for (const n of ['../x.shp', 'a/../../x.shp', '/etc/passwd', 'C:\\x.shp', '..\\x.shp']) expect(isUnsafeEntryName(n)).toBe(true);
    for (const n of ['x.shp', 'dir/x.shp', '规划/区块.shp', 'a..b.shp']) expect(isUnsafeEntryName(n)).toBe(false);
  });
});
