/**
 * OGC API Tiles documents: the WebMercatorQuad tile matrix set (OGC 2D TMS 2.0 JSON), and a
 * collection's vector tileset metadata and list. Tiles themselves are the /tiles MVTs.
 */
import type { LayerDetail } from '../layers/layer-registry.js';
import { MAX_ZOOM, tileAt } from '../tiles/tile-math.js';
import { hasLabelPoints, labelLayerName } from '../tiles/tile-source.js';
import { CRS84 } from './crs.js';

export const WEB_MERCATOR_QUAD = 'WebMercatorQuad';
const TMS_URI = 'http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad';
const EPSG3857 = 'http://www.opengis.net/def/crs/EPSG/0/3857';
const MVT = 'application/vnd.mapbox-vector-tile';
const ORIGIN = 20037508.3427892; // half the Web Mercator world width, metres
const SCALE0 = 559082264.028717; // scale denominator at z0 for 256 px tiles of 0.28 mm pixels

export function tileMatrixSet(base: string) {
  return {
    id: WEB_MERCATOR_QUAD,
    title: 'Google Maps Compatible for the World',
    uri: TMS_URI,
    crs: EPSG3857,
    orderedAxes: ['X', 'Y'],
    wellKnownScaleSet: 'http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible',
    links: [{ href: `${base}/ogc/tileMatrixSets/${WEB_MERCATOR_QUAD}`, rel: 'self', type: 'application/json' }],
    tileMatrices: Array.from({ length: MAX_ZOOM + 1 }, (_, z) => ({
      id: String(z),
      scaleDenominator: SCALE0 / 2 ** z,
      cellSize: (2 * ORIGIN) / 256 / 2 ** z,
      cornerOfOrigin: 'topLeft',
      pointOfOrigin: [-ORIGIN, ORIGIN],
      tileWidth: 256,
      tileHeight: 256,
      matrixWidth: 2 ** z,
      matrixHeight: 2 ** z,
    })),
  };
}

export function tileMatrixSetList(base: string) {
  return {
    tileMatrixSets: [
      { id: WEB_MERCATOR_QUAD, title: 'Google Maps Compatible for the World', uri: TMS_URI, crs: EPSG3857, links: [{ href: `${base}/ogc/tileMatrixSets/${WEB_MERCATOR_QUAD}`, rel: 'self', type: 'application/json' }] },
    ],
    links: [{ href: `${base}/ogc/tileMatrixSets`, rel: 'self', type: 'application/json' }],
  };
}

const tilingScheme = (base: string) => ({ href: `${base}/ogc/tileMatrixSets/${WEB_MERCATOR_QUAD}`, rel: 'http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme', type: 'application/json' });

export function tilesetList(base: string, layer: LayerDetail) {
  const href = `${base}/ogc/collections/${encodeURIComponent(layer.id)}/tiles`;
  return {
    links: [{ href, rel: 'self', type: 'application/json' }],
    tilesets: [
      {
        title: `${layer.title} 矢量瓦片`,
        dataType: 'vector',
        crs: EPSG3857,
        tileMatrixSetURI: TMS_URI,
        links: [{ href: `${href}/${WEB_MERCATOR_QUAD}`, rel: 'self', type: 'application/json' }, tilingScheme(base)],
      },
    ],
  };
}

export function tilesetMetadata(base: string, layer: LayerDetail) {
  const collection = `${base}/ogc/collections/${encodeURIComponent(layer.id)}`;
  const [x1, y1, x2, y2] = layer.bbox ?? [125.23, 44.03, 126.4, 44.89];
  const geometryType = layer.geometryType.replace(/^Multi/, '').toLowerCase();
  return {
    title: `${layer.title} 矢量瓦片`,
    dataType: 'vector',
    crs: EPSG3857,
    tileMatrixSetURI: TMS_URI,
    boundingBox: { lowerLeft: [x1, y1], upperRight: [x2, y2], crs: CRS84 },
    // Tiles outside the layer's extent are empty (204): the limits say where data can be.
    tileMatrixSetLimits: Array.from({ length: MAX_ZOOM + 1 - layer.minzoom }, (_, i) => {
      const z = layer.minzoom + i;
      const a = tileAt(x1, y2, z);
      const b = tileAt(x2, y1, z);
      return { tileMatrix: String(z), minTileRow: a.y, maxTileRow: b.y, minTileCol: a.x, maxTileCol: b.x };
    }),
    layers: [
      {
        id: layer.id,
        title: layer.title,
        dataType: 'vector',
        geometryType: { polygon: 'polygons', linestring: 'lines', point: 'points' }[geometryType] ?? 'polygons',
        minTileMatrix: String(layer.minzoom),
        maxTileMatrix: String(MAX_ZOOM),
        propertiesSchema: {
          type: 'object',
          properties: Object.fromEntries(layer.attributes.map((a) => [a.name, { title: a.label, type: a.type === 'date' ? 'string' : a.type }])),
        },
      },
      // A labelled polygon layer's tiles also carry one label point per feature (server/tiles/README.md).
      ...(hasLabelPoints(layer) && layer.labelField
        ? [
            {
              id: labelLayerName(layer.id),
              title: `${layer.title}注记点`,
              dataType: 'vector',
              geometryType: 'points',
              minTileMatrix: String(layer.minzoom),
              maxTileMatrix: String(MAX_ZOOM),
              propertiesSchema: {
                type: 'object',
                properties: {
                  fid: { title: '要素编号', type: 'string' },
                  [layer.labelField]: { title: layer.attributes.find((a) => a.name === layer.labelField)?.label ?? layer.labelField, type: 'string' },
                },
              },
            },
          ]
        : []),
    ],
    links: [
      { href: `${collection}/tiles/${WEB_MERCATOR_QUAD}`, rel: 'self', type: 'application/json' },
      tilingScheme(base),
      { href: collection, rel: 'http://www.opengis.net/def/rel/ogc/1.0/geodata', type: 'application/json', title: layer.title },
      { href: `${collection}/tiles/${WEB_MERCATOR_QUAD}/{tileMatrix}/{tileRow}/{tileCol}`, rel: 'item', type: MVT, templated: true, title: 'MVT 瓦片' },
    ],
  };
}
