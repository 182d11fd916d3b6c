/**
 * POST /api/layers: a new, empty layer (version 0) that a first upload fills. The id is the
 * public contract (^[a-z][a-z0-9-]{1,62}$); the title must be Chinese (it is what planners
 * see); attribute names are what the API and tiles expose, labels are what files carry.
 */
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { BadRequestError, ConflictError } from '../errors.js';
import { getLayer, insertLayer, type LayerDefinition, type LayerDetail } from './layer-registry.js';
import { RESERVED_TILE_PROPERTIES } from '../tiles/tile-source.js';

export const LAYER_KINDS = ['admin', 'zone', 'block', 'right', 'constraint', 'other'] as const;
export const GEOMETRY_TYPES = ['Polygon', 'MultiPolygon', 'Point', 'MultiPoint', 'LineString', 'MultiLineString'] as const;

/** JSON schema of the request body (validated by Fastify; 400 names the parameter). */
/** #rgb, #rrggbb or #rrggbbaa: a colour MapLibre and every GIS client read alike */
const COLOUR = '^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$';

export const createLayerBody = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'title', 'kind', 'geometryType'],
  properties: {
    id: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,62}$' },
    title: { type: 'string', minLength: 1, maxLength: 200 },
    kind: { type: 'string', enum: LAYER_KINDS },
    group: { type: ['string', 'null'], maxLength: 200 },
    geometryType: { type: 'string', enum: GEOMETRY_TYPES },
    description: { type: ['string', 'null'], maxLength: 4000 },
    labelField: { type: ['string', 'null'], maxLength: 64 },
    minzoom: { type: 'integer', minimum: 0, maximum: 22 },
    // what style.ts draws with, each value of a type the MapLibre style spec accepts: a layer's style
    // goes into /styles/default.json for every viewer, and one bad value makes MapLibre refuse it all
    style: {
      type: 'object',
      additionalProperties: false,
      properties: {
        fill: { type: 'string', pattern: COLOUR },
        fillOpacity: { type: 'number', minimum: 0, maximum: 1 },
        line: { type: 'string', pattern: COLOUR },
        lineWidth: { type: 'number', minimum: 0, maximum: 50 },
        lineDash: { type: 'array', minItems: 1, maxItems: 8, items: { type: 'number', minimum: 0, maximum: 100 } },
        lineByValue: {
          type: 'object',
          additionalProperties: false,
          required: ['field', 'colors'],
          properties: {
            field: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' },
            colors: { type: 'object', maxProperties: 100, additionalProperties: { type: 'string', pattern: COLOUR } },
          },
        },
      },
    },
    attributes: {
      type: 'array',
      maxItems: 200,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'label', 'type'],
        properties: {
          name: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' },
          label: { type: 'string', minLength: 1, maxLength: 100 },
          type: { type: 'string', enum: ['string', 'number', 'integer', 'boolean', 'date'] },
          required: { type: 'boolean' },
        },
      },
    },
  },
} as const;

const CJK = /[\u3400-\u9fff]/;

/** Checks the schema cannot express; 400 naming the parameter. */
function checkDefinition(def: LayerDefinition): void {
  if (!CJK.test(def.title)) throw new BadRequestError('图层标题须为中文 (title must be Chinese)', { parameter: 'title' });
  const names = new Set<string>();
  const labels = new Set<string>();
  for (const a of def.attributes ?? []) {
    // a tile's own properties: an attribute of that name would never reach a tile, nor label one
    if (RESERVED_TILE_PROPERTIES.has(a.name)) {
      throw new BadRequestError(`属性名“${a.name}”为保留字 (attribute name "${a.name}" is reserved: ${[...RESERVED_TILE_PROPERTIES].join(', ')})`, { parameter: 'attributes' });
    }
    if (names.has(a.name)) throw new BadRequestError(`属性名“${a.name}”重复 (duplicate attribute name)`, { parameter: 'attributes' });
    if (labels.has(a.label)) throw new BadRequestError(`属性标签“${a.label}”重复 (duplicate attribute label)`, { parameter: 'attributes' });
    names.add(a.name);
    labels.add(a.label);
  }
  // the style's match expression compares the attribute's text: a number attribute would never match
  const byValue = (def.style as { lineByValue?: { field: string } } | undefined)?.lineByValue;
  if (byValue && !(def.attributes ?? []).some((a) => a.name === byValue.field && a.type === 'string')) {
    throw new BadRequestError(`style.lineByValue.field 须为文本属性名 (style.lineByValue.field must name a string attribute)`, { parameter: 'style.lineByValue.field' });
  }
  if (def.labelField && !names.has(def.labelField)) throw new BadRequestError('labelField 须为已定义的属性名 (labelField must name an attribute)', { parameter: 'labelField' });
}

export async function createLayer(db: Kysely<Schema>, def: LayerDefinition): Promise<LayerDetail> {
  checkDefinition(def);
  const exists = await db.selectFrom('layers').select('id').where('id', '=', def.id).executeTakeFirst();
  if (exists) throw new ConflictError(`图层“${def.id}”已存在 (layer already exists)`, { layer: def.id });
  const last = await db.selectFrom('layers').select((eb) => eb.fn.max('sort_order').as('m')).executeTakeFirst();
  try {
    await insertLayer(db, def, Number(last?.m ?? 0) + 10);
  } catch (e) {
    // two creators at once: the primary key decides
    if ((e as { code?: string }).code === '23505') throw new ConflictError(`图层“${def.id}”已存在 (layer already exists)`, { layer: def.id });
    throw e;
  }
  return getLayer(db, def.id);
}
