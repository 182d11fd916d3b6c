/** Upload attributes → a layer's schema (server/ingest/attribute-map.ts): names, Chinese labels, cut .dbf names, id columns. */
import { describe, expect, it } from 'vitest';
import type { AttributeDef } from '../../server/db/schema.js';
import { AttributeMapper } from '../../server/ingest/attribute-map.js';
import { ProblemList } from '../../server/ingest/problem-list.js';

const ATTRS: AttributeDef[] = [
  { name: 'code', label: '区块编号', type: 'string', required: true },
  { name: 'area_km2', label: '面积（平方公里）', type: 'number' },
  { name: 'mineral', label: '开采矿种', type: 'string' },
];
const mapper = () => new AttributeMapper(ATTRS, new ProblemList());

describe('AttributeMapper', () => {
  it('matches by name, then by whole Chinese label', () => {
    expect(mapper().map(0, null, { code: 'A', 开采矿种: '地热' })).toEqual({ id: null, properties: { code: 'A', mineral: '地热' } });
  });

  // found by a review: the label-prefix rule (for .dbf names cut at 10 bytes) took any short key, so 面积 in m² was stored as area_km2
  it('takes a label prefix only for a name cut at the .dbf limit; a short whole name of unknown unit is kept as it is', () => {
    expect(mapper().map(0, null, { 区块编号: 'A', 面积: 56789.12 }).properties).toEqual({ code: 'A', 面积: 56789.12 });
    // 面积（平方 is 10 GBK bytes: a name cut by the .dbf
    expect(mapper().map(0, null, { 区块编号: 'A', '面积（平方': 1.5 }).properties).toEqual({ code: 'A', area_km2: 1.5 });
  });

  // found by a walkthrough: GDAL cuts mining_method to mining_met in a .dbf, and such a file could not be uploaded back
  it('takes a name prefix for a name cut at the .dbf limit, when it is unique; a shorter key is kept as it is', () => {
    const attrs: AttributeDef[] = [
      { name: 'mining_method', label: '开采方式', type: 'string', required: true },
      { name: 'design_capacity', label: '设计规模', type: 'number' },
      { name: 'design_capital', label: '设计投资', type: 'number' },
    ];
    const m = () => new AttributeMapper(attrs, new ProblemList());
    expect(m().map(0, null, { mining_met: '露天' }).properties).toEqual({ mining_method: '露天' });
    expect(m().map(0, null, { MINING_MET: '露天' }).properties).toEqual({ mining_method: '露天' });
    // design_cap could be either: kept under its own name
    expect(m().map(0, null, { mining_met: '露天', design_cap: 5 }).properties).toEqual({ mining_method: '露天', design_cap: 5 });
    expect(m().map(0, null, { mining: '露天' }).properties).toEqual({ mining: '露天' });
    // a whole name of 9 ASCII bytes is not a cut one (found by a review: remark_cn became remark_cn_long)
    const r = new AttributeMapper([{ name: 'remark_cn_long', label: '备注', type: 'string' }], new ProblemList());
    expect(r.map(0, null, { remark_cn: 'x' }).properties).toEqual({ remark_cn: 'x' });
    expect(new AttributeMapper([{ name: 'remark_cn_long', label: '备注', type: 'string' }], new ProblemList()).map(0, null, { remark_cn_: 'x' }).properties).toEqual({ remark_cn_long: 'x' });
  });

  // found by a walkthrough: 2028-13-45 and 2023-01-01abc passed as dates, 2023/01/01 was refused
  it('a date is a real calendar day in any of the forms staff write, stored as YYYY-MM-DD; anything else is an error for its row', () => {
    const attrs: AttributeDef[] = [{ name: 'valid_to', label: '有效期止', type: 'date' }];
    const good: [unknown, string][] = [
      ['2028-02-29', '2028-02-29'], ['20280229', '2028-02-29'], ['2028/2/9', '2028-02-09'], ['2028.02.09', '2028-02-09'],
      ['2028年2月9日', '2028-02-09'], ['2028-02-09T08:00:00Z', '2028-02-09'], ['2028-02-09 00:00:00', '2028-02-09'], [new Date(2028, 1, 9), '2028-02-09'],
      // an instant with an offset: its Beijing date (found by a review: the offset was dropped)
      ['2023-01-05T20:00:00Z', '2023-01-06'], ['2023-01-05T23:30:00-05:00', '2023-01-06'], ['2023-01-05T07:59:59+00:00', '2023-01-05'],
    ];
    for (const [value, stored] of good) {
      const problems = new ProblemList();
      expect({ value, out: new AttributeMapper(attrs, problems).map(0, null, { valid_to: value }).properties.valid_to }).toEqual({ value, out: stored });
      expect(problems.hasErrors).toBe(false);
    }
    for (const value of ['2028-13-45', '2027-02-29', '2023-01-01abc', '2023-1', '01/05/2023', '明年', '2023-01-05 99:99', '2023-1-5T25:00', '9999-12-31T20:00:00Z']) {
      const problems = new ProblemList();
      new AttributeMapper(attrs, problems).map(3, null, { valid_to: value });
      expect({ value, errors: problems.list().filter((p) => p.severity === 'error').map((p) => [p.feature, p.field]) }).toEqual({ value, errors: [[3, 'valid_to']] });
    }
  });

  // found by a review: ArcMap gives every new shape Id 0, and that made every row a duplicate id of the first
  it('an id column is the feature id, but 0 (ArcMap’s default Id) is no id', () => {
    expect(mapper().map(0, null, { Id: 0, 区块编号: 'KC-01' })).toEqual({ id: null, properties: { code: 'KC-01' } });
    expect(mapper().map(0, null, { Id: '0', 区块编号: 'KC-01' }).id).toBeNull();
    expect(mapper().map(0, null, { Id: 7, 区块编号: 'KC-01' }).id).toBe('7');
    expect(mapper().map(0, null, { FID: 'F-1', 区块编号: 'KC-01' }).id).toBe('F-1');
  });
});
