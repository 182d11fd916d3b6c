/** OGC API Features documents (landing, conformance, collection) built from layers. */
import type { LayerDetail, LayerSummary } from '../layers/layer-registry.js';
import { CRS84, STORAGE_CRS, SUPPORTED_CRS } from './crs.js';

export const CONFORMANCE = [
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
  'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs',
];

const GEOJSON = 'application/geo+json';
const JSON_TYPE = 'application/json';

export function landingPage(base: string) {
  return {
    title: '德惠市矿产资源总体规划（2021—2025年）空间数据服务',
    description: '德惠市矿产资源总体规划图层：勘查开采规划区块、重点勘查区、重点开采区、矿业权与生态保护红线、永久基本农田等控制线（OGC API Features）。',
    links: [
      { href: `${base}/ogc`, rel: 'self', type: JSON_TYPE, title: '本页 (this document)' },
      { href: `${base}/ogc/api`, rel: 'service-desc', type: 'application/vnd.oai.openapi+json;version=3.0', title: 'OpenAPI 3.0 定义' },
      { href: `${base}/ogc/api`, rel: 'service-doc', type: 'application/vnd.oai.openapi+json;version=3.0', title: '接口文档 (API documentation)' },
      { href: `${base}/ogc/conformance`, rel: 'conformance', type: JSON_TYPE, title: '符合性声明 (conformance)' },
      { href: `${base}/ogc/collections`, rel: 'data', type: JSON_TYPE, title: '数据集合 (collections)' },
    ],
  };
}

export function collectionDocument(base: string, layer: LayerSummary | LayerDetail) {
  const href = `${base}/ogc/collections/${encodeURIComponent(layer.id)}`;
  const detail = layer as Partial<LayerDetail>;
  return {
    id: layer.id,
    title: layer.title,
    description: detail.description ?? undefined,
    itemType: 'feature',
    extent: {
      spatial: {
        bbox: layer.bbox ? [layer.bbox] : [[125.23, 44.03, 126.4, 44.89]],
        crs: CRS84,
      },
    },
    crs: SUPPORTED_CRS.map((c) => c.uri),
    storageCrs: STORAGE_CRS,
    version: layer.version,
    links: [
      { href, rel: 'self', type: JSON_TYPE, title: layer.title },
      { href: `${href}/items`, rel: 'items', type: GEOJSON, title: `${layer.title} 要素` },
      { href: `${base}/tiles/${encodeURIComponent(layer.id)}.json`, rel: 'http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector', type: JSON_TYPE, title: 'TileJSON' },
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
}

export function pageLinks(p: PageLinksInput) {
  const href = (offset: number) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(p.query)) if (k !== 'offset' && v !== undefined) params.set(k, String(v));
    params.set('limit', String(p.limit));
    params.set('offset', String(offset));
    return `${p.base}/ogc/collections/${encodeURIComponent(p.layerId)}/items?${params}`;
  };
  const links = [
    { href: href(p.offset), rel: 'self', type: GEOJSON },
    { href: `${p.base}/ogc/collections/${encodeURIComponent(p.layerId)}`, rel: 'collection', type: JSON_TYPE },
  ];
  if (p.offset + p.numberReturned < p.numberMatched) links.push({ href: href(p.offset + p.limit), rel: 'next', type: GEOJSON });
  if (p.offset > 0) links.push({ href: href(Math.max(0, p.offset - p.limit)), rel: 'prev', type: GEOJSON });
  return links;
}
