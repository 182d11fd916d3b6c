/**
 * Part 4 request bodies → features ready for writeLayerVersion. Everything a client can get
 * wrong is found here, before the database is touched: the body's shape (400, naming the
 * field), each feature's geometry structure and property types against the layer's attribute
 * schema (422, naming feature index and field), and the size bounds (413, naming the limit).
 */
import { BadRequestError, PayloadTooLargeError, UnprocessableError, type InputProblem } from '../errors.js';
import type { FeatureInput } from '../layers/layer-writes.js';
import type { AttributeDef } from '../db/schema.js';
import type { CrsInfo } from './crs.js';
import { checkGeometry, positionRangeProblem } from './geojson-check.js';

export interface BodyLimits {
  maxFeatures: number;
  maxVertices: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const DATE = /^\d{4}-\d{2}-\d{2}$/;
function valueProblem(a: AttributeDef, v: unknown): string | null {
  if (v === null) return a.required ? `${a.name} (${a.label}) is required` : null;
  switch (a.type) {
    case 'string':
      return typeof v === 'string' ? null : `${a.name} (${a.label}) must be a string`;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? null : `${a.name} (${a.label}) must be a number`;
    case 'integer':
      return Number.isInteger(v) ? null : `${a.name} (${a.label}) must be an integer`;
    case 'boolean':
      return typeof v === 'boolean' ? null : `${a.name} (${a.label}) must be true or false`;
    case 'date':
      return typeof v === 'string' && DATE.test(v) && !Number.isNaN(Date.parse(v)) ? null : `${a.name} (${a.label}) must be a date YYYY-MM-DD`;
  }
}

/**
 * problems of one feature's properties. `patch` (JSON Merge Patch): null means "remove", so
 * nulls are not type-checked, and required attributes are checked on the merged result instead.
 */
/**
 * `kept`: properties outside the layer's attributes that the feature already has (an upload keeps
 * a file's extra fields, a TXT adds use/sheet/…): a client may send them back (GET → PUT) or patch
 * them; any other unknown one is refused.
 */
export function propertyProblems(props: Obj, attributes: AttributeDef[], feature: number, patch = false, kept: ReadonlySet<string> = new Set()): InputProblem[] {
  const byName = new Map(attributes.map((a) => [a.name, a]));
  const problems: InputProblem[] = [];
  for (const [k, v] of Object.entries(props)) {
    const a = byName.get(k);
    if (!a && kept.has(k)) continue;
    if (!a) problems.push({ feature, field: `properties.${k}`, severity: 'error', message: `unknown attribute "${k}" (attributes: ${[...byName.keys()].join(', ')})` });
    else if (!(patch && v === null)) {
      const p = valueProblem(a, v);
      if (p) problems.push({ feature, field: `properties.${k}`, severity: 'error', message: p });
    }
  }
  return patch ? problems : [...problems, ...missingRequired(props, attributes, feature)];
}

export function missingRequired(props: Obj, attributes: AttributeDef[], feature: number): InputProblem[] {
  return attributes
    .filter((a) => a.required && (props[a.name] === undefined || props[a.name] === null))
    .map((a) => ({ feature, field: `properties.${a.name}`, severity: 'error' as const, message: `${a.name} (${a.label}) is required` }));
}

/**
 * geometry problems and vertex count of one feature; given the body's `crs` (Content-Crs), a
 * position outside its bounds (beyond ±180°/±90° for lon/lat) is a problem naming its path.
 */
export function geometryProblems(geometry: unknown, feature: number, crs?: CrsInfo): { problems: InputProblem[]; vertices: number } {
  if (geometry === undefined || geometry === null) return { problems: [{ feature, field: 'geometry', severity: 'error', message: 'geometry is required' }], vertices: 0 };
  const r = checkGeometry(geometry);
  if ('message' in r) return { problems: [{ feature, field: 'geometry', severity: 'error', message: r.message }], vertices: 0 };
  const range = crs ? positionRangeProblem(geometry, crs) : null;
  if (range) return { problems: [{ feature, field: `geometry.${range.path}`, severity: 'error', message: range.message }], vertices: r.vertices };
  return { problems: [], vertices: r.vertices };
}

export function refuse(problems: InputProblem[]): never {
  const first = problems[0];
  throw new UnprocessableError(`要素无效 (feature ${first.feature}, ${first.field}: ${first.message})`, {
    feature: first.feature,
    field: first.field,
    problems: problems.slice(0, 50),
  });
}

/** A Feature (one) or a FeatureCollection (many) in `crs` → features; throws 400/413/422. */
export function readFeatureBody(body: unknown, attributes: AttributeDef[], limits: BodyLimits, allowCollection: boolean, crs?: CrsInfo, kept?: ReadonlySet<string>): FeatureInput[] {
  if (!isObj(body)) throw new BadRequestError('请求体应为 GeoJSON 对象 (the body must be a GeoJSON Feature' + (allowCollection ? ' or FeatureCollection)' : ')'), { parameter: 'body' });
  let list: unknown[];
  if (body.type === 'Feature') list = [body];
  else if (body.type === 'FeatureCollection' && allowCollection) {
    if (!Array.isArray(body.features)) throw new BadRequestError('FeatureCollection 缺少 features 数组 (FeatureCollection needs a "features" array)', { parameter: 'body', field: 'features' });
    list = body.features;
  } else {
    throw new BadRequestError(`type 应为 ${allowCollection ? 'Feature 或 FeatureCollection' : 'Feature'} (body "type" must be ${allowCollection ? '"Feature" or "FeatureCollection"' : '"Feature"'}, got ${JSON.stringify(body.type)})`, {
      parameter: 'body',
      field: 'type',
    });
  }
  if (list.length === 0) throw new BadRequestError('FeatureCollection 为空 (no features to write)', { parameter: 'body', field: 'features' });
  if (list.length > limits.maxFeatures) {
    throw new PayloadTooLargeError(`要素数超过上限 ${limits.maxFeatures} (more than maxFeatures = ${limits.maxFeatures} features)`, { limit: 'maxFeatures', max: limits.maxFeatures, actual: list.length });
  }
  const problems: InputProblem[] = [];
  let vertices = 0;
  const features = list.map((raw, i): FeatureInput => {
    if (!isObj(raw) || raw.type !== 'Feature') {
      problems.push({ feature: i, field: 'type', severity: 'error', message: 'each element must be a GeoJSON Feature' });
      return { geometry: { type: 'Point' } };
    }
    if (raw.id !== undefined && raw.id !== null && typeof raw.id !== 'string' && typeof raw.id !== 'number') {
      problems.push({ feature: i, field: 'id', severity: 'error', message: 'id must be a string or a number' });
    }
    if (typeof raw.id === 'string' && (raw.id.length === 0 || raw.id.length > 200)) problems.push({ feature: i, field: 'id', severity: 'error', message: 'id must be 1–200 characters' });
    const g = geometryProblems(raw.geometry, i, crs);
    problems.push(...g.problems);
    vertices += g.vertices;
    if (raw.properties !== undefined && raw.properties !== null && !isObj(raw.properties)) problems.push({ feature: i, field: 'properties', severity: 'error', message: 'properties must be an object' });
    else problems.push(...propertyProblems((raw.properties as Obj | null) ?? {}, attributes, i, false, kept));
    return { id: raw.id as string | number | undefined, properties: (raw.properties as Obj | null) ?? {}, geometry: raw.geometry as FeatureInput['geometry'] };
  });
  if (vertices > limits.maxVertices) {
    throw new PayloadTooLargeError(`顶点数超过上限 ${limits.maxVertices} (more than maxVertices = ${limits.maxVertices} vertices)`, { limit: 'maxVertices', max: limits.maxVertices, actual: vertices });
  }
  if (problems.length) refuse(problems);
  return features;
}
