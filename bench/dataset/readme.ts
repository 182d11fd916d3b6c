/** data/README.md, written by the generator so the ids and figures in it are always current. */
import { LAYERS } from './catalog.ts';
import type { CoverageReport } from './invariants.ts';
import type { Situation } from './situations.ts';

export interface ReadmeInput {
  seed: number;
  countyAreaKm2: number;
  coverage: CoverageReport;
  layerStats: { id: string; features: number; bytes: number; areaKm2: number }[];
  situations: Situation[];
  droppedParcels: string[];
  farmlandShareOfCounty: number;
  cultivatedShareOfCounty: number;
}

const fmt = (n: number, d = 2): string => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

export function renderReadme(x: ReadmeInput): string {
  const rows = x.layerStats.map((s) => {
    const l = LAYERS.find((d) => d.id === s.id)!;
    return `| \`${s.id}\` | ${l.title} | ${l.geometryType} | ${s.features} | ${fmt(s.areaKm2)} | ${fmt(s.bytes / 1024, 0)} KB |`;
  });
  const sit = x.situations.map((s) => {
    const hits = s.hits.map((h) => `  - \`${h.layer}\` **${h.id}** (${h.code} ${h.name}): ${fmt(h.overlapM2, 0)} m², ${fmt(h.sharePct)} % of the feature` +
      (h.against.ids.length ? `; involves \`${h.against.layer}\` ${h.against.ids.map((i) => `\`${i}\``).join(', ')}` : ''));
    return `### (${s.key}) ${s.title}\n\nRule: ${s.rule}. Expected verdict: \`${s.expectedVerdict}\`.\n\n${hits.join('\n')}\n`;
  });
  return `# Synthetic dataset: 德惠市矿产资源总体规划（2021—2025年）

**Everything here is synthetic.** The county outline, township boundaries, red line, urban
boundaries, farmland and every plan feature are invented, so the service has realistic data to
serve and check. Names, minerals, stages, townships and the 2020 mine list come from the plan
(\`shared/seed/dehui-mineral-plan-2021-2025.txt\`); shapes, areas, licence numbers, holders and every
value the plan prints as \`**\` are invented and carry \`illustrative: true\` (farmland and
cultivated-land parcels are synthetic as a whole and do not repeat the flag on each parcel).

Regenerate with \`npm run data:generate\` (\`bench/generate-dataset.ts\`, seed ${x.seed}); output is
byte-identical on every run. Do not edit these files by hand.

## Files

- \`geojson/<layer-id>.geojson\`: one RFC 7946 FeatureCollection per layer, EPSG:4490 (CGCS2000)
  lon/lat, ≤ 7 decimals, outer rings counter-clockwise, string \`id\` unique per layer, one
  feature per line.
- \`geojson/layers.json\`: layer catalogue in drawing order (first = bottom of the map): title,
  kind, group, geometry type, description, attributes (name, Chinese label, type, required),
  label field, style (\`lineByValue\` optionally colours outlines by mineral), minzoom.
- \`indicators.json\`: 专栏2/3/9/10 indicators (baseline 2020, 2025 targets, minimum mining scale).
- \`deliberate-cases.json\`: the situations below, machine-readable.

## Layers

| id | 图层 | geometry | features | area km² (ellipsoidal) | file |
|---|---|---|---|---|---|
${rows.join('\n')}

Areas are \`ST_Area(geom::geography)\` on the published (rounded) geometry.

- County: ${fmt(x.countyAreaKm2)} km² ellipsoidal (published 3322.24 km²), inside E125°14′–126°24′,
  N44°02′–44°53′; the Songhua (松花江) forms the east side, 饮马河/伊通河 the north-west, 雾开河 part of
  the south; seat near 125.70°E 44.53°N.
- Townships: ${x.coverage.count} units tiling the county exactly (union − county: ${x.coverage.unionRelDiff.toExponential(2)} relative;
  largest pairwise overlap ${fmt(x.coverage.maxPairOverlapM2, 4)} m²; ${x.coverage.invalidEdges} invalid coverage edges). Shared boundaries
  have identical vertices on both sides. 米沙子镇 (220183110) and 万宝镇 (220183111) codes are not in the
  source and are marked \`illustrative\`.
- Permanent farmland: strip parcels of 0.5–6 ha, 4–10 vertices, non-overlapping (≥ 3 m ridges), in
  field blocks spread over the whole county; they cover ${fmt(x.farmlandShareOfCounty * 100, 1)} % of the county (a real 永久基本农田
  layer covers far more, but ~24 000 parcels of at most 6 ha cannot). They avoid the red line, urban
  boundaries, rivers, villages, mines and mining blocks, except the deliberate case (a).
- Cultivated land: the field blocks (耕地图斑, ${fmt(x.cultivatedShareOfCounty * 100, 1)} % of the county). Every farmland parcel lies in
  a block with \`permanent_farmland: true\`; blocks near towns are cultivated but not protected
  (\`permanent_farmland: false\`), so cultivated area > farmland area.
- \`exploration-rights\` is empty on purpose (none at the base year); it exists for uploads.
- Parcels dropped by the PostGIS safety filter: ${x.droppedParcels.length ? x.droppedParcels.join(', ') : 'none'}.

## Deliberate situations (what a conflict check must find)

Each set below is exactly the set of features with that property; the generator fails if any
other feature falls into one of them, and also checks that no unplanned prohibited overlap
exists (mining blocks/rights vs red line, farmland vs red line/urban boundary, …).
Exploration blocks overlapping farmland are normal (no rule forbids exploration there).

${sit.join('\n')}
## Names and assumptions

- The plan writes both 大青嘴 and 大青咀: township names use 大青嘴镇 (the list in 第一章第一节), plan
  zones keep the plan's 大青咀 spelling.
- 陶粒页岩 is "mainly in 杨树乡" (第一章第二节), which is no longer a township; the mine is placed
  in 朱城子镇 with \`locality: 杨树\` (an assumption).
- \`benchmark\`: \`generateFarmlandParcels(count, seed)\` in \`bench/dataset/farmland.ts\` produces
  larger farmland layers with the same generator (pure TypeScript, no PostGIS). Beyond ~55 000
  parcels the parcels shrink so they still fit the county (200 000 → about 0.1–1.6 ha).
`;
}
