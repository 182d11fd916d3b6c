/**
 * TileJSON 3.0.0 for one layer or a comma-separated composite; tile URLs carry the versions.
 * `vector_layers` lists each layer's MVT layer and, for a labelled polygon layer, its label-point
 * layer "<layer id>_label" (server/tiles/README.md, "Labels").
 */
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { LayerDetail } from '../layers/layer-registry.js';
import { MERGED_PROPERTY } from './generalisation.js';
import { hasLabelPoints, labelLayerName } from './tile-source.js';

export const TILE_MAXZOOM = 15;

/** which of these layers have the bulk policy (their tiles carry `merged` below z10): TileJSON's fields and OGC's propertiesSchema */
export async function bulkLayers(db: Kysely<Schema>, ids: string[]): Promise<Set<string>> {
  const rows = await sql<{ layer_id: string }>`select layer_id from tile_generalisation where policy = 'bulk' and layer_id = any(${ids}::text[])`.execute(db);
  return new Set(rows.rows.map((r) => r.layer_id));
}

const TYPE_LABEL: Record<string, string> = { string: '文本', number: '数值', integer: '整数', boolean: '是/否', date: '日期' };

/** `bulk`: the layers whose low-zoom tiles merge sub-pixel parcels into cells marked `merged` (generalisation.ts) */
export function tileJson(base: string, layers: LayerDetail[], bulk: ReadonlySet<string> = new Set()) {
  const ids = layers.map((l) => l.id).join(',');
  const versions = layers.map((l) => l.version).join('.');
  const boxes = layers.map((l) => l.bbox).filter((b): b is [number, number, number, number] => b !== null);
  const bounds: [number, number, number, number] = boxes.length
    ? [Math.min(...boxes.map((b) => b[0])), Math.min(...boxes.map((b) => b[1])), Math.max(...boxes.map((b) => b[2])), Math.max(...boxes.map((b) => b[3]))]
    : [125.23, 44.03, 126.4, 44.89];
  return {
    tilejson: '3.0.0',
    name: layers.map((l) => l.title).join('、'),
    description: layers.length === 1 ? (layers[0].description ?? layers[0].title) : `组合图层：${layers.map((l) => l.title).join('、')}`,
    version: '1.0.0',
    attribution: '德惠市自然资源局 · 德惠市矿产资源总体规划（2021—2025年）',
    scheme: 'xyz',
    tiles: [`${base}/tiles/${ids}/{z}/{x}/{y}.pbf?v=${versions}`],
    minzoom: 0,
    maxzoom: TILE_MAXZOOM,
    bounds,
    center: [Number(((bounds[0] + bounds[2]) / 2).toFixed(5)), Number(((bounds[1] + bounds[3]) / 2).toFixed(5)), 9],
    vector_layers: layers.flatMap((l) => {
      const field = (a: { name: string; label: string; type: string }) => [a.name, `${a.label} (${TYPE_LABEL[a.type] ?? a.type})`];
      const own = {
        id: l.id,
        description: l.title,
        minzoom: l.minzoom,
        maxzoom: TILE_MAXZOOM,
        fields: Object.fromEntries([
          ['fid', '要素编号 (文本)'],
          ...l.attributes.filter((a) => a.name !== 'fid').map(field),
          ...(bulk.has(l.id) ? [[MERGED_PROPERTY, `低缩放级别合并的亚像素图斑，无编号与属性 (是/否)`]] : []),
        ]),
      };
      if (!hasLabelPoints(l)) return [own];
      const labelAttr = l.attributes.filter((a) => a.name === l.labelField && a.name !== 'fid');
      return [
        own,
        {
          id: labelLayerName(l.id),
          description: `${l.title}注记点（每个要素一个点，位于面内，供标注名称）`,
          minzoom: l.minzoom,
          maxzoom: TILE_MAXZOOM,
          fields: Object.fromEntries([['fid', '要素编号 (文本)'], ...labelAttr.map(field)]),
        },
      ];
    }),
  };
}
