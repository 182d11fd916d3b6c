/**
 * data/geojson/layers.json: one entry per layer, in drawing order (first = drawn first, i.e.
 * bottom of the map; a layer panel lists them reversed). Attribute lists are the contract the
 * invariant test checks against the properties actually present.
 */
export type AttrType = 'string' | 'number' | 'integer' | 'boolean' | 'date';
export interface AttributeDef { name: string; label: string; type: AttrType; required: boolean }
export interface LayerStyle {
  fill: string;
  fillOpacity: number;
  line: string;
  lineWidth: number;
  lineDash?: [number, number];
  /** Optional: outline colour by a property value (blocks and rights are outlined by mineral). */
  lineByValue?: { field: string; colors: Record<string, string> };
}
export interface LayerDef {
  id: string;
  title: string;
  kind: 'admin' | 'zone' | 'block' | 'right' | 'constraint';
  group: '行政区' | '规划分区' | '规划区块' | '矿业权' | '控制线';
  geometryType: 'Polygon' | 'MultiPolygon';
  description: string;
  attributes: AttributeDef[];
  labelField: string | null;
  style: LayerStyle;
  minzoom: number;
}

const a = (name: string, label: string, type: AttrType = 'string', required = true): AttributeDef => ({ name, label, type, required });
const AREA = a('area_km2', '面积（平方公里）', 'number');
const PERIOD = a('period', '规划期');
const ILLU = a('illustrative', '示意值（规划未公布）', 'boolean');
const MINERAL_LINES = { 地热: '#d9480f', 矿泉水: '#0070c0', 建筑用砂: '#b8860b', 陶粒页岩: '#595959' };

export const LAYERS: LayerDef[] = [
  {
    id: 'admin-county', title: '德惠市行政区', kind: 'admin', group: '行政区', geometryType: 'MultiPolygon',
    description: '德惠市行政区域范围，即《规划》适用范围（总则；第一章第一节，总面积3322.24平方公里）。',
    attributes: [a('code', '行政区代码'), a('name', '名称'), a('level', '行政级别'), a('parent', '上级行政区'), a('official_area_km2', '公布面积（平方公里）', 'number'), AREA],
    labelField: 'name', style: { fill: '#ffffff', fillOpacity: 0, line: '#222222', lineWidth: 3 }, minzoom: 0,
  },
  {
    id: 'cultivated-land', title: '耕地', kind: 'constraint', group: '控制线', geometryType: 'Polygon',
    description: '耕地图斑，含永久基本农田及城镇周边一般耕地（第三章第一节：禁止开采可耕地的砖瓦用粘土）。',
    attributes: [a('land_code', '地类编码'), a('land_class', '地类名称'), a('township', '所在乡镇'), a('area_ha', '面积（公顷）', 'number'), a('permanent_farmland', '是否永久基本农田', 'boolean'), a('farmland_parcels', '永久基本农田图斑数', 'integer')],
    labelField: null, style: { fill: '#e3efb1', fillOpacity: 0.6, line: '#b5c46a', lineWidth: 0.5 }, minzoom: 11,
  },
  {
    id: 'permanent-farmland', title: '永久基本农田', kind: 'constraint', group: '控制线', geometryType: 'Polygon',
    description: '永久基本农田保护图斑（第三章第一节：严守耕地和永久基本农田）。',
    attributes: [a('land_code', '地类编码'), a('land_class', '地类名称'), a('township', '所在乡镇'), a('area_ha', '面积（公顷）', 'number'), a('quality_grade', '耕地质量等别', 'integer')],
    labelField: null, style: { fill: '#f2c200', fillOpacity: 0.75, line: '#c79a00', lineWidth: 0.5 }, minzoom: 12,
  },
  {
    id: 'ecological-redline', title: '生态保护红线', kind: 'constraint', group: '控制线', geometryType: 'MultiPolygon',
    description: '生态保护红线，沿松花江、饮马河—伊通河、雾开河及湿地、林地划定（第三章第一节：严守生态保护红线）。',
    attributes: [a('code', '红线编号'), a('name', '名称'), a('category', '生态功能类型'), a('subtype', '红线类型'), AREA, ILLU],
    labelField: 'name', style: { fill: '#e60012', fillOpacity: 0.25, line: '#e60012', lineWidth: 1.5 }, minzoom: 7,
  },
  {
    id: 'urban-boundary', title: '城镇开发边界', kind: 'constraint', group: '控制线', geometryType: 'Polygon',
    description: '城镇开发边界，三区三线之一（第三章第一节：落实国土空间规划管控要求）。',
    attributes: [a('code', '编号'), a('name', '名称'), a('kind', '类型'), a('township', '所在乡镇（街道）'), AREA, ILLU],
    labelField: 'name', style: { fill: '#b000b0', fillOpacity: 0.06, line: '#b000b0', lineWidth: 2, lineDash: [6, 3] }, minzoom: 8,
  },
  {
    id: 'admin-townships', title: '乡镇街道', kind: 'admin', group: '行政区', geometryType: 'Polygon',
    description: '德惠市4个街道、12个镇、4个乡的行政界线（第一章第一节）。',
    attributes: [a('code', '乡镇代码'), a('name', '名称'), a('type', '类型'), AREA, ILLU],
    labelField: 'name', style: { fill: '#ffffff', fillOpacity: 0, line: '#808080', lineWidth: 1, lineDash: [4, 2] }, minzoom: 7,
  },
  {
    id: 'key-development-areas', title: '矿产资源产业重点发展区域', kind: 'zone', group: '规划分区', geometryType: 'Polygon',
    description: '大房身—大青咀镇矿泉水资源产业重点发展区域（第三章第二节，专栏4）。',
    attributes: [a('code', '区域编号'), a('name', '名称'), a('mineral', '矿种'), a('township', '所在行政区'), a('key_mining_zone', '已设重点开采区'), a('mining_rights', '已设采矿权'), AREA, PERIOD, ILLU],
    labelField: 'name', style: { fill: '#f6a5c0', fillOpacity: 0.18, line: '#d6336c', lineWidth: 1.5, lineDash: [10, 4] }, minzoom: 7,
  },
  {
    id: 'key-mining-zones', title: '重点开采区', kind: 'zone', group: '规划分区', geometryType: 'Polygon',
    description: '大青咀—大房身镇矿泉水资源重点开采区（第三章第三节，专栏6）。',
    attributes: [a('code', '区编号'), a('name', '名称'), a('mineral', '矿种'), a('township', '所在乡镇'), AREA, PERIOD, ILLU],
    labelField: 'name', style: { fill: '#ff9900', fillOpacity: 0.2, line: '#e07000', lineWidth: 1.5 }, minzoom: 7,
  },
  {
    id: 'key-exploration-zones', title: '重点勘查区', kind: 'zone', group: '规划分区', geometryType: 'Polygon',
    description: '米沙子地热资源重点勘查区（一）（二），隶属公主岭-九台地热资源重点勘查区（第三章第三节，专栏5）。',
    attributes: [a('code', '区编号'), a('name', '名称'), a('mineral', '矿种'), a('parent_zone', '隶属的上级规划重点勘查区'), a('township', '所在乡镇'), AREA, PERIOD, ILLU],
    labelField: 'name', style: { fill: '#5b9bd5', fillOpacity: 0.2, line: '#2e75b6', lineWidth: 1.5 }, minzoom: 7,
  },
  {
    id: 'exploration-blocks', title: '勘查规划区块', kind: 'block', group: '规划区块', geometryType: 'Polygon',
    description: '落实市级规划的地热（普查）和矿泉水（详查）勘查规划区块（第三章第四节，专栏7）。',
    attributes: [a('code', '区块编号'), a('name', '区块名称'), a('mineral', '勘查矿种'), a('stage', '勘查程度'), a('township', '所在乡镇'), a('setting_type', '设置类型'), a('source_plan', '规划来源'), a('parent_zone', '所在重点勘查区', 'string', false), AREA, PERIOD, ILLU],
    labelField: 'name', style: { fill: '#00a0e9', fillOpacity: 0.1, line: '#0070c0', lineWidth: 2, lineByValue: { field: 'mineral', colors: MINERAL_LINES } }, minzoom: 9,
  },
  {
    id: 'mining-blocks', title: '开采规划区块', kind: 'block', group: '规划区块', geometryType: 'Polygon',
    description: '松花江镇建筑用砂（非河沙）开采规划区块（第三章第五节，专栏8）。',
    attributes: [a('code', '区块编号'), a('name', '区块名称'), a('mineral', '开采矿种'), a('township', '所在乡镇'), a('setting_type', '设置类型'), a('scale', '规划开采规模'), a('remark', '备注'), AREA, PERIOD, ILLU],
    labelField: 'name', style: { fill: '#a0522d', fillOpacity: 0.15, line: '#8b4513', lineWidth: 2, lineByValue: { field: 'mineral', colors: MINERAL_LINES } }, minzoom: 9,
  },
  {
    id: 'exploration-rights', title: '探矿权', kind: 'right', group: '矿业权', geometryType: 'Polygon',
    description: '探矿权范围；《规划》基期无探矿权，本图层供上传更新（第三章第四节）。',
    attributes: [a('licence_no', '勘查许可证号'), a('name', '项目名称'), a('holder', '探矿权人'), a('mineral', '勘查矿种'), a('stage', '勘查程度'), a('township', '所在乡镇', 'string', false), a('valid_from', '有效期起', 'date'), a('valid_to', '有效期止', 'date'), a('area_km2', '面积（平方公里）', 'number', false)],
    labelField: 'name', style: { fill: '#00b0f0', fillOpacity: 0.25, line: '#0070c0', lineWidth: 1.5, lineDash: [3, 2] }, minzoom: 10,
  },
  {
    id: 'mining-rights', title: '采矿权', kind: 'right', group: '矿业权', geometryType: 'Polygon',
    description: '2020年底保有的3个采矿权：陶粒页岩1个（中型）、矿泉水2个（小型）（第一章第二节，专栏2）。',
    attributes: [a('licence_no', '采矿许可证号'), a('name', '矿山名称'), a('holder', '采矿权人'), a('mineral', '开采矿种'), a('scale', '开采规模'), a('township', '所在乡镇'), a('locality', '地名'), a('mining_method', '开采方式'), a('design_capacity', '设计生产规模', 'number'), a('capacity_unit', '生产规模单位'), a('valid_from', '有效期起', 'date'), a('valid_to', '有效期止', 'date'), a('status', '生产状态'), AREA, ILLU],
    labelField: 'name', style: { fill: '#7030a0', fillOpacity: 0.35, line: '#000000', lineWidth: 1.5, lineByValue: { field: 'mineral', colors: MINERAL_LINES } }, minzoom: 10,
  },
];

/** The 13 layer ids, in drawing order. */
export const LAYER_IDS = LAYERS.map((l) => l.id);
