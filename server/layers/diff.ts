/**
 * Features added, removed and changed between two versions of a layer. A feature is the same
 * across versions when its fid is; it changed when its properties or geometry differ (rows
 * that were closed and re-opened with equal content do not count). Geometry, when asked for,
 * is GeoJSON in EPSG:4490 (9 decimals, the store's grid).
 */
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { BadRequestError } from '../errors.js';
import { getLayerRow } from './layer-registry.js';

export interface DiffQuery {
  layerId: string;
  /** default: to − 1 */
  from?: number;
  /** default: the current version */
  to?: number;
  geometry: boolean;
  /** features listed per category; counts are always complete */
  limit: number;
}

export interface DiffEntry {
  id: string;
  properties?: Record<string, unknown>;
  geometry?: unknown;
  /** changed: the state at `from` */
  before?: { properties: Record<string, unknown>; geometry?: unknown };
  /** changed: what differs */
  propertiesChanged?: string[];
  geometryChanged?: boolean;
}

export interface LayerDiff {
  layer: string;
  from: number;
  to: number;
  counts: { added: number; removed: number; changed: number };
  added: DiffEntry[];
  removed: DiffEntry[];
  changed: DiffEntry[];
  truncated: boolean;
}

interface Row {
  kind: 'added' | 'removed' | 'changed';
  fid: string;
  a_props: Record<string, unknown> | null;
  b_props: Record<string, unknown> | null;
  a_geom: unknown;
  b_geom: unknown;
  geom_changed: boolean | null;
}

const at = (alias: string, v: number) =>
  sql.raw(`(${alias}.valid_from <= ${Number(v)} and (${alias}.valid_to is null or ${alias}.valid_to > ${Number(v)}))`);

function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

export async function diffVersions(db: Kysely<Schema>, q: DiffQuery): Promise<LayerDiff> {
  const layer = await getLayerRow(db, q.layerId);
  const to = q.to ?? layer.version;
  const from = q.from ?? Math.max(0, to - 1);
  for (const [name, v] of [['from', from], ['to', to]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > layer.version) {
      throw new BadRequestError(`参数 ${name} 应为 0–${layer.version} 的版本号 (no version ${v})`, { parameter: name });
    }
  }
  const geo = (alias: string) => (q.geometry ? sql.raw(`ST_AsGeoJSON(${alias}.geom, 9)::json`) : sql.raw('null::json'));
  // a = the feature at `from`, b = at `to`; a full join on fid gives all three kinds at once.
  const rows = await sql<Row>`
    with a as (select f.* from features f where f.layer_id = ${q.layerId} and ${at('f', from)}),
         b as (select f.* from features f where f.layer_id = ${q.layerId} and ${at('f', to)}),
         d as (
           select case when a.id is null then 'added' when b.id is null then 'removed' else 'changed' end as kind,
             coalesce(a.fid, b.fid) as fid, a.properties as a_props, b.properties as b_props,
             ${geo('a')} as a_geom, ${geo('b')} as b_geom,
             case when a.id is not null and b.id is not null then not (a.geom = b.geom) end as geom_changed
           from a full join b on a.fid = b.fid
           where a.id is null or b.id is null
              or (a.id <> b.id and (a.properties <> b.properties or not (a.geom = b.geom))))
    select * from (select d.*, row_number() over (partition by kind order by fid) as n from d) x
    where n <= ${q.limit + 1} order by kind, fid`.execute(db);
  const counts = await sql<{ kind: string; n: number }>`
    with a as (select f.* from features f where f.layer_id = ${q.layerId} and ${at('f', from)}),
         b as (select f.* from features f where f.layer_id = ${q.layerId} and ${at('f', to)})
    select case when a.id is null then 'added' when b.id is null then 'removed' else 'changed' end as kind, count(*)::int as n
    from a full join b on a.fid = b.fid
    where a.id is null or b.id is null or (a.id <> b.id and (a.properties <> b.properties or not (a.geom = b.geom)))
    group by 1`.execute(db);
  const n = (k: string) => counts.rows.find((r) => r.kind === k)?.n ?? 0;
  const out: LayerDiff = { layer: q.layerId, from, to, counts: { added: n('added'), removed: n('removed'), changed: n('changed') }, added: [], removed: [], changed: [], truncated: false };
  for (const r of rows.rows) {
    const list = out[r.kind];
    if (list.length >= q.limit) {
      out.truncated = true;
      continue;
    }
    if (r.kind === 'added') list.push({ id: r.fid, properties: r.b_props ?? {}, ...(q.geometry ? { geometry: r.b_geom } : {}) });
    else if (r.kind === 'removed') list.push({ id: r.fid, properties: r.a_props ?? {}, ...(q.geometry ? { geometry: r.a_geom } : {}) });
    else {
      list.push({
        id: r.fid,
        properties: r.b_props ?? {},
        ...(q.geometry ? { geometry: r.b_geom } : {}),
        before: { properties: r.a_props ?? {}, ...(q.geometry ? { geometry: r.a_geom } : {}) },
        propertiesChanged: changedKeys(r.a_props ?? {}, r.b_props ?? {}),
        geometryChanged: Boolean(r.geom_changed),
      });
    }
  }
  return out;
}
