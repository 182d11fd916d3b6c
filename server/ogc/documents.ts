/** OGC API Features documents (landing, conformance, collection) built from layers. */
import type { LayerDetail, LayerSummary } from '../layers/layer-registry.js';
import type { CollectionExtras } from './collection-extents.js';
import { CRS84, STORAGE_CRS, SUPPORTED_CRS } from './crs.js';

const F3 = 'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf';
const CQL2 = 'http://www.opengis.net/spec/cql2/1.0/conf';
const TILES = 'http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf';

/** Only what is implemented and tested (test/http/ogc-*.test.ts). */
export const CONFORMANCE = [
  'http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
  'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs',
  `${F3}/queryables`,
  `${F3}/queryables-query-parameters`,
  `${F3}/filter`,
  `${F3}/features-filter`,
  `${CQL2}/cql2-text`,
  `${CQL2}/cql2-json`,
  `${CQL2}/basic-cql2`,
  `${CQL2}/advanced-comparison-operators`,
  `${CQL2}/case-insensitive-comparison`,
  `${CQL2}/basic-spatial-functions`,
  `${CQL2}/basic-spatial-functions-plus`,
  `${CQL2}/spatial-functions`,
  'http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete',
  'http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update',
  'http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features',
  `${TILES}/core`,
  `${TILES}/tileset`,
  `${TILES}/tilesets-list`,
  `${TILES}/geodata-tilesets`,
  `${TILES}/mvt`,
  'http://www.opengis.net/spec/tms/2.0/conf/tilematrixset',
  'http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset',
];

const GEOJSON = 'application/geo+json';
const JSON_TYPE = 'application/json';

export function landingPage(base: string) {
  return {
    title: '德惠市矿产资源总体规划（2021—2025年）空间数据服务',
    description: '德惠市矿产资源总体规划图层：勘查开采规划区块、重点勘查区、重点开采区、矿业权与生态保护红线、永久基本农田等控制线（OGC API Features）。',
    links: [
      { href: `${base}/ogc`, rel: 'self', type: JSON_TYPE, title: '本页 (this document)' },
      // rooted at this landing page, as OGC clients expect (api-document.ts)
      { href: `${base}/ogc/openapi.json`, rel: 'service-desc', type: 'application/vnd.oai.openapi+json;version=3.0', title: 'OpenAPI 3.0 定义 (OGC API)' },
      { href: `${base}/api`, rel: 'service-doc', type: 'text/html', title: '接口文档 (API documentation, whole service)' },
      { href: `${base}/ogc/conformance`, rel: 'conformance', type: JSON_TYPE, title: '符合性声明 (conformance)' },
      { href: `${base}/ogc/collections`, rel: 'data', type: JSON_TYPE, title: '数据集合 (collections)' },
      { href: `${base}/ogc/tileMatrixSets`, rel: 'http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes', type: JSON_TYPE, title: '瓦片矩阵集 (tile matrix sets)' },
    ],
  };
}

/** Dehui's extent (domain.md §1), for a layer that has no features yet */
const DEHUI_BBOX: [number, number, number, number] = [125.23, 44.03, 126.4, 44.89];

export function collectionDocument(base: string, layer: LayerSummary | LayerDetail, extras?: CollectionExtras) {
  const href = `${base}/ogc/collections/${encodeURIComponent(layer.id)}`;
  const detail = layer as Partial<LayerDetail>;
  const [x1, y1, x2, y2] = layer.bbox ?? DEHUI_BBOX;
  return {
    id: layer.id,
    title: layer.title,
    description: detail.description ?? undefined,
    itemType: 'feature',
    extent: {
      spatial: {
        bbox: [[x1, y1, x2, y2]],
        crs: CRS84,
        // the same box in the storage CRS, in its axis order (EPSG:4490 is latitude first)
        storageCrsBbox: [[y1, x1, y2, x2]],
      },
      ...(extras?.temporal ? { temporal: { interval: [extras.temporal], trs: 'http://www.opengis.net/def/uom/ISO-8601/0/Gregorian' } } : {}),
    },
    crs: SUPPORTED_CRS.map((c) => c.uri),
    storageCrs: STORAGE_CRS,
    version: layer.version,
    featureCount: layer.featureCount,
    links: [
      { href, rel: 'self', type: JSON_TYPE, title: layer.title },
      { href: `${href}/items`, rel: 'items', type: GEOJSON, title: `${layer.title} 要素` },
      { href: `${href}/queryables`, rel: 'http://www.opengis.net/def/rel/ogc/1.0/queryables', type: 'application/schema+json', title: '可查询属性 (queryables)' },
      // GDAL ≤ 3.6 looks for the pre-1.0 rel name "queryables"
      { href: `${href}/queryables`, rel: 'queryables', type: 'application/schema+json', title: '可查询属性 (queryables)' },
      { href: `${href}/tiles`, rel: 'http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector', type: JSON_TYPE, title: '矢量瓦片集 (vector tilesets)' },
      { href: `${base}/tiles/${encodeURIComponent(layer.id)}.json`, rel: 'related', type: JSON_TYPE, title: 'TileJSON 3.0' },
    ],
  };
}

export interface PageLinksInput {
  base: string;
  layerId: string;
  /** the request's query, to carry into next/prev */
  query: Record<string, unknown>;
  limit: number;
  offset: number;
  numberMatched: number;
  numberReturned: number;
  /** the layer version this page was read at: next and prev read the same one */
  layerVersion: number;
}

/**
 * self as asked; next and prev pinned to the version this page was read at (`version=`), so that
 * a write between two pages neither repeats nor skips a feature (found by an OGC review: offsets
 * over a changed layer did both).
 */
export function pageLinks(p: PageLinksInput) {
  const href = (offset: number, pin: boolean) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(p.query)) if (k !== 'offset' && v !== undefined) params.set(k, String(v));
    if (pin) params.set('version', String(p.layerVersion));
    params.set('limit', String(p.limit));
    params.set('offset', String(offset));
    return `${p.base}/ogc/collections/${encodeURIComponent(p.layerId)}/items?${params}`;
  };
  const links = [
    { href: href(p.offset, false), rel: 'self', type: GEOJSON },
    { href: `${p.base}/ogc/collections/${encodeURIComponent(p.layerId)}`, rel: 'collection', type: JSON_TYPE },
  ];
  if (p.offset + p.numberReturned < p.numberMatched) links.push({ href: href(p.offset + p.limit, true), rel: 'next', type: GEOJSON });
  if (p.offset > 0) links.push({ href: href(Math.max(0, p.offset - p.limit), true), rel: 'prev', type: GEOJSON });
  return links;
}

/**
 * The query of a document route: f=json at most (the only representation); anything else is a 400
 * naming it, as on /items (OGC API Features /req/core/query-param-unknown; found by an OGC review:
 * /ogc?f=xml and /ogc/collections?foo=1 answered 200).
 */
export const JSON_ONLY_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: { f: { type: 'string', enum: ['json'], description: 'json (the only representation)' } },
} as const;
