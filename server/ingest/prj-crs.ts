/**
 * The CRS named by a shapefile .prj (ESRI WKT or OGC WKT1/WKT2), as an EPSG code.
 * Names are tried first (`CGCS2000_3_Degree_GK_Zone_42`, `CGCS2000 / 3-degree Gauss-Kruger
 * CM 126E`, …), then an EPSG authority, then the parameters themselves (datum, central
 * meridian, false easting), because desktop tools write the same CRS under many names.
 * Datum-only results (Xian 1980, Beijing 1954) are returned as such: the caller refuses them
 * unless transformation parameters are given.
 */
import { type Datum, epsgForZone, recognizeDatum } from './gauss-kruger.js';

export interface PrjCrs {
  /** EPSG code; for Xian/Beijing GK the EPSG code of that (unusable without parameters) CRS */
  epsg: number | null;
  datum: Datum | null;
  /** 3-degree GK facts when projected GK */
  zone?: number;
  prefixed?: boolean;
  /** the WKT's own name, for messages */
  name: string;
  /** a 6-degree zone: refused (Dehui straddles a 6-degree boundary) */
  sixDegree?: boolean;
}

const DATUM_WORDS: Array<[RegExp, Datum]> = [
  [/CGCS.?2000|China.?2000|China_Geodetic_Coordinate_System_2000|国家2000/i, 'CGCS2000'],
  [/Xian.?1980|Xi'?an.?80|西安/i, 'Xian1980'],
  [/Beijing.?1954|北京/i, 'Beijing1954'],
  [/WGS.?(19)?84/i, 'WGS84'],
];

function datumOf(text: string): Datum | null {
  for (const [re, d] of DATUM_WORDS) if (re.test(text)) return d;
  return recognizeDatum(text);
}

/** The outermost name: PROJCS["…"] / GEOGCS["…"] / PROJCRS["…"] / GEOGCRS["…"] */
function outerName(wkt: string): string {
  return /^\s*(?:PROJCS|GEOGCS|PROJCRS|GEOGCRS|GEODCRS|PROJECTEDCRS|GEOGRAPHICCRS)\s*\[\s*"([^"]*)"/i.exec(wkt)?.[1] ?? '';
}

/** The last top-level EPSG authority (WKT1 AUTHORITY["EPSG","4530"], WKT2 ID["EPSG",4530]) */
function outerEpsg(wkt: string): number | null {
  const trimmed = wkt.trim();
  const m = /(?:AUTHORITY|ID)\s*\[\s*"EPSG"\s*,\s*"?(\d+)"?\s*\]\s*\]\s*$/i.exec(trimmed);
  return m ? Number(m[1]) : null;
}

function parameter(wkt: string, names: string[]): number | null {
  for (const n of names) {
    const m = new RegExp(`PARAMETER\\s*\\[\\s*"${n}"\\s*,\\s*(-?[\\d.eE+-]+)`, 'i').exec(wkt);
    if (m) return Number(m[1]);
  }
  return null;
}

function gk(datum: Datum, zone: number, prefixed: boolean, name: string): PrjCrs {
  return { epsg: epsgForZone(zone, prefixed, datum === 'WGS84' ? 'CGCS2000' : datum), datum, zone, prefixed, name };
}

export function crsFromPrj(wkt: string): PrjCrs | null {
  const name = outerName(wkt);
  const datum = datumOf(wkt.slice(0, 4000));
  const isProjected = /^\s*PROJ/i.test(wkt);
  if (/6[_ -]?Degree|6度/i.test(name)) return { epsg: null, datum, name, sixDegree: true };

  // 1. names: ESRI `CGCS2000_3_Degree_GK_Zone_42`, `..._CM_126E`; OGC `... / 3-degree Gauss-Kruger zone 42`, `... CM 126E`
  const zoneName = /3[_ -]?Degree[_ ]GK[_ ]Zone[_ ](\d{2})|3-degree Gauss-Kruger zone (\d{2})/i.exec(name);
  const cmName = /3[_ -]?Degree[_ ]GK[_ ]CM[_ ](\d{2,3})E|3-degree Gauss-Kruger CM (\d{2,3})E/i.exec(name);
  try {
    if (zoneName && datum) return gk(datum, Number(zoneName[1] ?? zoneName[2]), true, name);
    if (cmName && datum) return gk(datum, Number(cmName[1] ?? cmName[2]) / 3, false, name);
  } catch {
    return { epsg: null, datum, name }; // a zone outside 25–45
  }
  if (/Web_Mercator|Pseudo.?Mercator|Popular Visuali[sz]ation|Auxiliary_Sphere/i.test(name)) return { epsg: 3857, datum: 'WGS84', name };

  // 2. an EPSG authority on the outermost object
  const epsg = outerEpsg(wkt);
  if (epsg !== null) return { epsg, datum, name };

  // 3. geographic by datum
  if (!isProjected) {
    if (datum === 'CGCS2000') return { epsg: 4490, datum, name };
    if (datum === 'WGS84') return { epsg: 4326, datum, name };
    if (datum === 'Xian1980') return { epsg: 4610, datum, name };
    if (datum === 'Beijing1954') return { epsg: 4214, datum, name };
    return null;
  }

  // 4. Transverse Mercator / Gauss-Kruger by its parameters
  if (datum && /Transverse_Mercator|Gauss_Kruger|Gauss-Kruger/i.test(wkt)) {
    const cm = parameter(wkt, ['Central_Meridian', 'central_meridian', 'Longitude of natural origin']);
    const fe = parameter(wkt, ['False_Easting', 'false_easting', 'False easting']);
    const k = parameter(wkt, ['Scale_Factor', 'scale_factor', 'Scale factor at natural origin']) ?? 1;
    if (cm !== null && fe !== null && Math.abs(k - 1) < 1e-9 && cm % 3 === 0) {
      const zone = cm / 3;
      const prefixed = Math.abs(fe - (zone * 1e6 + 500000)) < 1e-3;
      if (prefixed || Math.abs(fe - 500000) < 1e-3) {
        try {
          return gk(datum, zone, prefixed, name);
        } catch {
          return { epsg: null, datum, name };
        }
      }
    }
  }
  return { epsg: null, datum, name };
}
