/**
 * data/indicators.json: the plan's indicator tables (专栏2, 3, 9, 10) shaped for machines.
 * Values the plan prints as `**` get an invented number with `illustrative: true` and the field
 * names listed in `illustrativeFields`; everything else is copied from the plan text.
 */
export interface DatasetCounts {
  explorationBlocks: { mineral: string; stage: string; count: number }[];
  miningBlocks: { mineral: string; count: number }[];
  keyExplorationZones: { name: string; area_km2: number }[];
  keyMiningZones: { name: string; area_km2: number }[];
}

const SCALE_SOURCE = 'illustrative: patterned on the national mine-scale classification (国土资发〔2004〕208号), not verified against the provincial plan';

export function buildIndicators(counts: DatasetCounts): Record<string, unknown> {
  return {
    plan: { name: '德惠市矿产资源总体规划（2021—2025年）', basePeriodYear: 2020, period: '2021—2025', outlookYear: 2035, countyAreaKm2: 3322.24 },
    notes: [
      'Values marked illustrative replace figures the published plan prints as **; they are invented for testing and are not official.',
      '专栏2 prints 矿泉水 output under 矿石产量（万吨）; the plan text and 专栏9 give the same 0.38 as 万立方米 (1 t ≈ 1 m³ of water).',
    ],
    // 专栏2 and 第一章第二节: situation at the end of 2020 (all values printed in the plan).
    status2020: {
      source: '专栏2；第一章第二节',
      totals: { mines: 3, large: 0, medium: 1, small: 2, workers: 61, output: 0.38, outputUnit: '万吨', outputValue: 119.0, comprehensiveUseValue: 101.0, salesRevenue: 37.0, profit: 21.0, designCapacity: 91.8, moneyUnit: '万元', capacityUnit: '万吨/年' },
      byMineral: [
        { mineral: '陶粒页岩', mines: 1, large: 0, medium: 1, small: 0, workers: 1, output: 0.0, outputValue: 0.0, comprehensiveUseValue: 0.0, salesRevenue: 0.0, profit: 0.0, designCapacity: 85.6 },
        { mineral: '矿泉水', mines: 2, large: 0, medium: 0, small: 2, workers: 60, output: 0.38, outputValue: 119.0, comprehensiveUseValue: 101.0, salesRevenue: 37.0, profit: 21.0, designCapacity: 6.2 },
      ],
      minesIn2015: 25,
      restoredMines: { total: 30, closed: 22, historical: 8, areaHa: 229.8, source: '第一章第一节（第三轮规划实施成效）' },
      restoredAreaHa: { total: 507.82, closedMines: 410.26, historicalMines: 97.56, source: '第一章第二节（二）' },
      greenMines: 0,
    },
    // 专栏3: main indicators for 2025, all printed as ** in the plan.
    mainIndicators: [
      { key: 'miningOutputValue', category: '矿业经济发展', name: '矿业产值', unit: '万元', target2025: 600, attribute: '预期性', illustrative: true, source: '专栏3' },
      { key: 'newLargeMediumDeposits', category: '矿产资源勘查', name: '新发现大中型矿产地', unit: '处', target2025: 1, attribute: '预期性', illustrative: true, source: '专栏3' },
      { key: 'newMineralWaterResource', category: '矿产资源勘查', name: '新增资源量（矿泉水）', unit: '立方米/日', target2025: 500, attribute: '预期性', illustrative: true, source: '专栏3' },
      { key: 'annualOutputSand', category: '矿产资源开发利用与保护', name: '重要矿产资源年开采量（建筑用砂）', unit: '万吨', target2025: 20, attribute: '预期性', illustrative: true, source: '专栏3' },
      { key: 'annualOutputMineralWater', category: '矿产资源开发利用与保护', name: '重要矿产资源年开采量（矿泉水）', unit: '万立方米', target2025: 1.5, attribute: '预期性', illustrative: true, source: '专栏3' },
      { key: 'mineCount', category: '矿产资源开发利用与保护', name: '矿山数量', unit: '个', target2025: 6, attribute: '预期性', illustrative: true, source: '专栏3；第二章第三节（控制在**个以内）' },
      { key: 'largeMediumShare', category: '矿产资源开发利用与保护', name: '大中型矿山比例', unit: '%', target2025: 33.3, attribute: '预期性', illustrative: true, source: '专栏3；第二章第三节（维持在**%）; 2020: 1 of 3 mines = 33.33 %' },
    ],
    // 专栏9: output and mine counts of the key minerals, 2020 and 2025.
    miningTotals: [
      { mineral: '建筑用砂', unit: '万吨', output2020: null, mines2020: 0, output2025: 20, mines2025: 2, controlType: '预期性', illustrative: true, illustrativeFields: ['output2025', 'mines2025'], source: '专栏9 (2020 printed as －)' },
      { mineral: '矿泉水', unit: '万立方米', output2020: 0.38, mines2020: 2, output2025: 1.5, mines2025: 3, controlType: '预期性', illustrative: true, illustrativeFields: ['output2025', 'mines2025'], source: '专栏9' },
    ],
    // 专栏10: minimum mining scale per mineral (thresholds for 大/中/小; a new mine must reach at
    // least `small`). The plan hides every value; 陶粒页岩, 砖瓦用粘土 and 地热 are not in 专栏10.
    minimumScale: [
      { mineral: '建筑用砂', unit: '万吨/年', large: 100, medium: 50, small: 10, illustrative: true, source: '专栏10' },
      { mineral: '矿泉水', unit: '万立方米/年', large: 10, medium: 5, small: 1, illustrative: true, source: '专栏10（备注：省规划）' },
      { mineral: '陶粒页岩', unit: '万吨/年', large: 100, medium: 30, small: 5, illustrative: true, source: `not in 专栏10; ${SCALE_SOURCE}; consistent with the 2020 medium mine of 85.6 万吨/年 design capacity (专栏2)` },
      { mineral: '砖瓦用粘土', unit: '万吨/年', large: 30, medium: 10, small: 6, illustrative: true, source: `not in 专栏10; ${SCALE_SOURCE}` },
      { mineral: '地热', unit: '万立方米/年', large: 20, medium: 10, small: 5, illustrative: true, source: `not in 专栏10; ${SCALE_SOURCE}` },
    ],
    // 专栏5–8 counts and areas (printed as **) as realised by this dataset's layers.
    planningUnits: {
      source: '专栏5、6、7、8 (counts and areas printed as **; these are the values of the synthetic layers)',
      illustrative: true,
      keyExplorationZones: counts.keyExplorationZones,
      keyMiningZones: counts.keyMiningZones,
      explorationBlocks: counts.explorationBlocks,
      miningBlocks: counts.miningBlocks,
    },
  };
}
