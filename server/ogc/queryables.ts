/**
 * /ogc/collections/{id}/queryables: a JSON Schema (OGC API Features Part 3) of what `filter`
 * and the property query parameters may name — the layer's attributes, titled with their
 * Chinese labels, and `geometry`.
 */
import type { AttributeDef } from '../db/schema.js';
import type { LayerDetail } from '../layers/layer-registry.js';

const GEOMETRY_SCHEMA: Record<string, string> = {
  Point: 'https://geojson.org/schema/Point.json',
  LineString: 'https://geojson.org/schema/LineString.json',
  Polygon: 'https://geojson.org/schema/Polygon.json',
  MultiPolygon: 'https://geojson.org/schema/MultiPolygon.json',
};

function attributeSchema(a: AttributeDef): Record<string, unknown> {
  const base = { title: a.label, description: a.name };
  switch (a.type) {
    case 'date':
      return { ...base, type: 'string', format: 'date' };
    default:
      return { ...base, type: a.type };
  }
}

export function queryablesDocument(base: string, layer: LayerDetail) {
  const href = `${base}/ogc/collections/${encodeURIComponent(layer.id)}/queryables`;
  const properties: Record<string, unknown> = {
    geometry: { title: '几何图形', format: `geometry-${layer.geometryType.toLowerCase()}`, $ref: GEOMETRY_SCHEMA[layer.geometryType] ?? 'https://geojson.org/schema/Geometry.json' },
  };
  for (const a of layer.attributes) properties[a.name] = attributeSchema(a);
  return {
    $schema: 'https://json-schema.org/draft/2019-09/schema',
    $id: href,
    type: 'object',
    title: `${layer.title} 可查询属性`,
    properties,
    additionalProperties: false,
    // GDAL ≤ 3.6 reads queryables from this pre-1.0 array form; JSON Schema ignores unknown keywords.
    queryables: layer.attributes.map((a) => ({ id: a.name, title: a.label, type: a.type })),
  };
}
