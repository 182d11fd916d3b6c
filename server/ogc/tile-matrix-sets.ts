/**
 * OGC API Tiles documents: the WebMercatorQuad tile matrix set (OGC 2D TMS 2.0 JSON), and a
 * collection's vector tileset metadata and list. Tiles themselves are the /tiles MVTs.
 */
import type { LayerDetail } from '../layers/layer-registry.js';
import { MERGED_PROPERTY } from '../tiles/generalisation.js';
import { MAX_ZOOM } from '../tiles/tile-math.js';
import { TILE_MAXZOOM } from '../tiles/tilejson.js';
import { hasLabelPoints, labelLayerName, RESERVED_TILE_PROPERTIES } from '../tiles/tile-source.js';
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

export function tilesetMetadata(base: string, layer: LayerDetail, bulk: boolean) {
  const collection = `${base}/ogc/collections/${encodeURIComponent(layer.id)}`;
  const [x1, y1, x2, y2] = layer.bbox ?? [125.23, 44.03, 126.4, 44.89];
  const geometryType = layer.geometryType.replace(/^Multi/, '').toLowerCase();
  return {
    title: `${layer.title} 矢量瓦片`,
    dataType: 'vector',
    crs: EPSG3857,
    tileMatrixSetURI: TMS_URI,
    boundingBox: { lowerLeft: [x1, y1], upperRight: [x2, y2], crs: CRS84 },
    // The tiles this collection answers, and only those (Tiles /req/core/tc-error: a tile outside
    // the limits is a 404, an empty one inside them 204): every zoom from 0 — the layer is drawn,
    // generalised, at every zoom; minTileMatrix below is where it is shown (as TileJSON's minzoom)
    // — up to TileJSON's maxzoom, beyond which clients overzoom (exact geometry from z14); the
    // whole grid at each, since a tile outside the layer's extent is a well-formed empty tile.
    // (Found by an OGC review: limits from the layer's minzoom and bbox up to z22, while tiles
    // outside them were served.)
    tileMatrixSetLimits: Array.from({ length: TILE_MAXZOOM + 1 }, (_, z) => ({ tileMatrix: String(z), minTileRow: 0, maxTileRow: 2 ** z - 1, minTileCol: 0, maxTileCol: 2 ** z - 1 })),
    layers: [
      {
        id: layer.id,
        title: layer.title,
        dataType: 'vector',
        geometryType: { polygon: 'polygons', linestring: 'lines', point: 'points' }[geometryType] ?? 'polygons',
        minTileMatrix: String(layer.minzoom),
        maxTileMatrix: String(TILE_MAXZOOM),
        // as the tiles carry them (and TileJSON's vector_layers): fid, the attributes, and on a bulk
        // layer the merged flag of sub-pixel parcels merged into cells at low zooms
        propertiesSchema: {
          type: 'object',
          properties: {
            fid: { title: '要素编号', type: 'string' },
            ...Object.fromEntries(layer.attributes.filter((a) => !RESERVED_TILE_PROPERTIES.has(a.name)).map((a) => [a.name, { title: a.label, type: a.type === 'date' ? 'string' : a.type }])),
            ...(bulk ? { [MERGED_PROPERTY]: { title: '低缩放级别合并的亚像素图斑，无编号与属性', type: 'boolean' } } : {}),
          },
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
              maxTileMatrix: String(TILE_MAXZOOM),
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
