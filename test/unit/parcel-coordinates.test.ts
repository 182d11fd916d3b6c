import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { type InputProblem, PayloadTooLargeError, UnprocessableError } from '../../server/errors.js';
import { formatParcelTxt, parseParcelTxt } from '../../server/ingest/parcel-coordinates.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/txt/${name}`, import.meta.url), 'utf8');
const STANDARD = fixture('standard-example.txt');
/** domain.md §4: a 1000 m × 1000 m square, [easting, northing] in EPSG:4530, in the file's order. */
const SQUARE = [[42510000, 4910000], [42511000, 4910000], [42511000, 4909000], [42510000, 4909000], [42510000, 4910000]];
const square = (e0: number, n0: number, size: number): number[][] => [[e0, n0], [e0 + size, n0], [e0 + size, n0 - size], [e0, n0 - size], [e0, n0]];

function refusal(run: () => unknown): { error: UnprocessableError; problems: InputProblem[] } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UnprocessableError);
    const problems = (error as UnprocessableError).details as { problems: InputProblem[] };
    return { error: error as UnprocessableError, problems: problems.problems };
  }
  throw new Error('expected an UnprocessableError');
}

describe('the standard example (domain.md §4)', () => {
  it('parses to a 1000 m square in EPSG:4530 with the header’s attributes', () => {
    const file = parseParcelTxt(STANDARD);
    expect(file.crs).toEqual({ epsg: 4530, zone: 42, prefixed: true, datum: 'CGCS2000', status: 'ok' });
    expect(file.header['坐标系']).toBe('2000国家大地坐标系');
    expect(file.header['转换参数']).toBe(',,,,,,');
    expect(file.warnings).toEqual([]);
    expect(file.parcels).toHaveLength(1);
    const p = file.parcels[0];
    expect(p).toMatchObject({ index: 0, line: 13, pointCount: 5, declaredAreaHa: 12.3456, code: 'KC-01', name: '地块1', geometryKind: '面', sheet: '', use: '', landClass: '' });
    expect(p.geometry).toEqual({ type: 'Polygon', coordinates: [SQUARE] });
    expect(p.points[1]).toEqual({ name: 'J2', ring: 1, x: 4910000, y: 42511000, line: 15 });
  });

  it('reads the same parcel from GBK bytes, the desktop tools’ default', () => {
    const file = parseParcelTxt(iconv.encode(STANDARD, 'gbk'));
    expect(file.encoding).toBe('gbk');
    expect(file.parcels[0].name).toBe('地块1');
    expect(file.parcels[0].geometry).toEqual({ type: 'Polygon', coordinates: [SQUARE] });
  });

  it('reads UTF-8 with a BOM, keeping the first section header intact', () => {
    const file = parseParcelTxt(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(STANDARD)]));
    expect(file.encoding).toBe('utf-8');
    expect(file.header['格式版本号']).toBe('');
    expect(file.crs.epsg).toBe(4530);
  });

  it('tolerates CRLF, blank lines, trailing commas and full-width commas and ＠', () => {
    const messy = STANDARD.replace('J2,1,4910000.000,42511000.000', 'J2，1，4910000.000，42511000.000')
      .replace('地块1,面,,,,@', '地块1,面,,,,＠')
      .replace('J3,1,4909000.000,42511000.000', '\nJ3,1,4909000.000,42511000.000,,')
      .replace(/\n/g, '\r\n');
    const file = parseParcelTxt(messy);
    expect(file.parcels[0].geometry).toEqual({ type: 'Polygon', coordinates: [SQUARE] });
    expect(file.parcels[0].points.map((p) => p.line)).toEqual([14, 15, 17, 18, 19]);
    expect(file.warnings).toEqual([]);
  });
});

describe('variants', () => {
  it('reads the provincial header with 行政区代码 and 村名 before 地块编号', () => {
    const p = parseParcelTxt(fixture('provincial-header.txt')).parcels[0];
    expect(p).toMatchObject({ adminCode: '220183104', village: '大房身村', code: 'DFS-01', name: '大房身矿泉水开采区块', sheet: 'L51G077095', use: '采矿用地', landClass: '0602', declaredAreaHa: 0.25 });
  });

  it('reads a 10-field header whose third field is not an admin code as standard, with a warning', () => {
    const text = fixture('provincial-header.txt').replace('220183104,大房身村,DFS-01', 'DFS-01,大房身矿泉水开采区块,面');
    const file = parseParcelTxt(text);
    expect(file.parcels[0]).toMatchObject({ code: 'DFS-01', name: '大房身矿泉水开采区块' });
    expect(file.parcels[0].adminCode).toBeUndefined();
    expect(file.warnings).toEqual([expect.objectContaining({ line: 13, message: expect.stringContaining('10个字段') })]);
  });

  it('reads the 13-field 土地整治 header, keeping the five extra fields', () => {
    const p = parseParcelTxt(fixture('land-consolidation-13-fields.txt')).parcels[0];
    expect(p).toMatchObject({ code: 'TZ-07', name: '朝阳乡土地整治图斑', use: '耕地', landClass: '0103' });
    expect(p.extra).toEqual({ 图斑类型: '一般图斑', 地类: '旱地', 改造前质量等别: '12', 改造后质量等别: '10', 备注: '整治后提等' });
  });

  it('accepts 分带=3度带, derives an empty 带号 from the easting prefix and skips [扩展信息]', () => {
    const file = parseParcelTxt(fixture('fendai-empty-zone-extension.txt'));
    expect(file.header['分带']).toBe('3度带');
    expect(file.crs).toMatchObject({ epsg: 4530, zone: 42, prefixed: true });
    expect(file.parcels).toHaveLength(1);
    expect(file.parcels[0].geometry).toEqual({ type: 'Polygon', coordinates: [SQUARE] });
    expect(file.warnings).toEqual([]);
  });

  it('uses the central-meridian code EPSG:4551 for 6-digit eastings with 带号=42', () => {
    const file = parseParcelTxt(STANDARD.replace(/,4251/g, ',51'));
    expect(file.crs).toMatchObject({ epsg: 4551, zone: 42, prefixed: false });
    expect(file.parcels[0].geometry.coordinates[0][0]).toEqual([510000, 4910000]);
  });

  it('swaps X/Y columns back when X has an easting’s magnitude, and says where', () => {
    const swapped = STANDARD.replace(/^(J\d),1,(\d+\.\d+),(\d+\.\d+)$/gm, '$1,1,$3,$2');
    expect(swapped).toContain('J1,1,42510000.000,4910000.000');
    const file = parseParcelTxt(swapped);
    expect(file.parcels[0].geometry).toEqual({ type: 'Polygon', coordinates: [SQUARE] });
    expect(file.parcels[0].points[0]).toMatchObject({ x: 4910000, y: 42510000 });
    expect(file.warnings).toEqual([expect.objectContaining({ line: 14, field: 'X', severity: 'warning', message: expect.stringContaining('5个点X/Y列颠倒') })]);
  });

  it('closes an unclosed ring and warns with the line of its last point', () => {
    const file = parseParcelTxt(STANDARD.replace(/J1,1,4910000.000,42510000.000\n$/, ''));
    expect(file.parcels[0].geometry).toEqual({ type: 'Polygon', coordinates: [SQUARE] });
    expect(file.warnings).toContainEqual(expect.objectContaining({ line: 17, field: '圈号', message: expect.stringContaining('未闭合') }));
    expect(file.warnings).toContainEqual(expect.objectContaining({ line: 13, field: '界址点数', message: expect.stringContaining('声明界址点数5，实际4') }));
  });

  it('reports a declared point count that does not match as a warning, not an error', () => {
    const file = parseParcelTxt(STANDARD.replace('5,12.3456', '7,12.3456'));
    expect(file.parcels[0].pointCount).toBe(7);
    expect(file.warnings).toEqual([expect.objectContaining({ line: 13, field: '界址点数', severity: 'warning' })]);
  });

  it('flags WGS84 and reads it as CGCS2000 in the same zone', () => {
    const file = parseParcelTxt(STANDARD.replace('2000国家大地坐标系', 'WGS84'));
    expect(file.crs).toMatchObject({ epsg: 4530, datum: 'WGS84', status: 'ok' });
    expect(file.warnings).toEqual([expect.objectContaining({ line: 5, field: '坐标系', severity: 'warning' })]);
  });

  it('honours a declared encoding and refuses an unknown one', () => {
    expect(parseParcelTxt(iconv.encode(STANDARD, 'gbk'), { encoding: 'CP936' }).parcels[0].name).toBe('地块1');
    expect(refusal(() => parseParcelTxt(Buffer.from(STANDARD), { encoding: 'Big5-HKSCS' })).problems).toEqual([expect.objectContaining({ field: 'encoding' })]);
  });

  it('keeps a hostile __proto__ key as plain data', () => {
    const file = parseParcelTxt(STANDARD.replace('精度=0.001', '__proto__=x'));
    expect(Object.getPrototypeOf(file.header)).toBe(Object.prototype);
    expect(Object.hasOwn(file.header, '__proto__')).toBe(true);
  });

  it('accepts a string with a leading BOM (a JSON body’s coordinates)', () => {
    expect(parseParcelTxt(`\uFEFF${STANDARD}`).header['格式版本号']).toBe('');
  });
});

describe('the reference zone-40 parcel (pengbu-zone40.txt)', () => {
  const file = parseParcelTxt(readFileSync(new URL('../fixtures/txt/pengbu-zone40.txt', import.meta.url)));

  it('parses to 66 points in zone 40, EPSG:4528, declared 5.7089 ha', () => {
    expect(file.crs).toMatchObject({ epsg: 4528, zone: 40, prefixed: true, datum: 'CGCS2000' });
    const p = file.parcels[0];
    expect(p).toMatchObject({ pointCount: 66, declaredAreaHa: 5.7089, code: '1', name: '彭埠单元B/R-14地块' });
    expect(p.points).toHaveLength(66);
    expect(p.geometry.type).toBe('Polygon');
    expect(p.geometry.coordinates[0]).toHaveLength(66);
    expect(p.geometry.coordinates[0][0]).toEqual([40520986.477, 3353189.181]);
  });

  it('warns that it lies outside Jilin (it is in Hangzhou), on its header line', () => {
    expect(file.warnings).toEqual([expect.objectContaining({ feature: 0, line: 13, message: expect.stringMatching(/吉林省范围之外.*30\.298°N 120\.218°E/) })]);
  });
});

describe('holes and parts are decided by containment, not by 圈号', () => {
  const file = parseParcelTxt(fixture('holes-and-parts.txt'));

  it('makes a ring inside ring 1 a hole and a ring outside it a second part with its own hole', () => {
    const a = file.parcels[0];
    expect(a.geometry).toEqual({
      type: 'MultiPolygon',
      coordinates: [
        [square(42500000, 4902000, 2000), [[42500500, 4901000], [42500500, 4900500], [42501000, 4900500], [42501000, 4901000], [42500500, 4901000]]],
        [square(42505000, 4901000, 1000), [[42505200, 4900400], [42505200, 4900200], [42505400, 4900200], [42505400, 4900400], [42505200, 4900400]]],
      ],
    });
    expect(file.warnings).toEqual([]);
  });

  it('reads several parcels with their header lines', () => {
    expect(file.parcels.map((p) => [p.index, p.line, p.code])).toEqual([[0, 13, 'HP-01'], [1, 34, 'HP-02']]);
    expect(file.parcels[1].geometry.type).toBe('MultiPolygon');
    expect(file.parcels[1].geometry.coordinates).toHaveLength(2);
  });

  it('treats a 圈号 1 ring inside a later, larger ring as a hole, and an island in a hole as a part', () => {
    const ring = (no: number, sq: number[][]): string => sq.map(([e, n], i) => `P${i},${no},${n.toFixed(3)},${e.toFixed(3)}`).join('\n');
    const text = `${STANDARD.split('[地块坐标]')[0]}[地块坐标]\n15,,N-1,嵌套,面,,,,@\n${ring(1, square(42500400, 4900600, 200))}\n${ring(2, square(42500000, 4901000, 1000))}\n${ring(3, square(42500450, 4900550, 100))}\n`;
    const r = parseParcelTxt(text);
    expect(r.parcels[0].geometry).toEqual({
      type: 'MultiPolygon',
      coordinates: [[square(42500000, 4901000, 1000), square(42500400, 4900600, 200)], [square(42500450, 4900550, 100)]],
    });
    expect(r.warnings).toEqual([expect.objectContaining({ line: 14, field: '圈号', message: expect.stringContaining('圈号1位于另一圈之内') })]);
  });

  it('refuses a parcel whose rings are too tangled to nest within the work limit, on its header line', () => {
    // 2500 triangles on one base with apexes 0.1 m apart at one height: they overlap, none holds
    // another, and all share a bounding box, so every pair needs point-in-polygon tests.
    const rings = Array.from({ length: 2500 }, (_, k) => {
      const pts = [[4909000, 42510000], [4909000, 42511000], [4909500, 42510000.1 + k * 0.1]].map(([n, e]) => `J,${k + 1},${n.toFixed(3)},${e.toFixed(3)}`);
      return [...pts, pts[0]].join('\n');
    });
    const text = `${STANDARD.split('[地块坐标]')[0]}[地块坐标]\n10000,,T,缠绕,面,,,,@\n${rings.join('\n')}\n`;
    expect(refusal(() => parseParcelTxt(text)).problems).toEqual([expect.objectContaining({ line: 13, field: '圈号', message: expect.stringContaining('超出计算限额') })]);
  });

  it('starts a new ring when a closed ring continues with the same 圈号', () => {
    const text = STANDARD.replace('5,12.3456', '10,12.3456') + 'J5,1,4910000.000,42512000.000\nJ6,1,4910000.000,42512500.000\nJ7,1,4909500.000,42512500.000\nJ8,1,4909500.000,42512000.000\nJ5,1,4910000.000,42512000.000\n';
    const g = parseParcelTxt(text).parcels[0].geometry;
    expect(g.type).toBe('MultiPolygon');
    expect(g.coordinates).toEqual([[SQUARE], [square(42512000, 4910000, 500)]]);
  });
});

describe('errors name the line and the field', () => {
  it('refuses a non-numeric X', () => {
    const { problems, error } = refusal(() => parseParcelTxt(STANDARD.replace('J3,1,4909000.000', 'J3,1,49O9000.000')));
    expect(problems).toEqual([expect.objectContaining({ line: 16, field: 'X', severity: 'error' })]);
    expect(error.status).toBe(422);
    expect(error.message).toContain('第16行（X）');
  });

  it('refuses a missing Y', () => {
    expect(refusal(() => parseParcelTxt(STANDARD.replace('J2,1,4910000.000,42511000.000', 'J2,1,4910000.000'))).problems).toEqual([expect.objectContaining({ line: 15, field: 'Y' })]);
  });

  it('lists every bad line, not only the first', () => {
    const text = STANDARD.replace('J2,1,4910000.000,42511000.000', 'J2,1,x,42511000.000').replace('J4,1,4909000.000,42510000.000', 'J4,一,4909000.000,42510000.000');
    expect(refusal(() => parseParcelTxt(text)).problems.map((p) => [p.line, p.field])).toEqual([[15, 'X'], [17, '圈号']]);
  });

  it('refuses a point line before any parcel header', () => {
    const text = STANDARD.replace('[地块坐标]\n', '[地块坐标]\nJ0,1,4910000.000,42510000.000\n');
    expect(refusal(() => parseParcelTxt(text)).problems).toEqual([expect.objectContaining({ line: 13, field: '地块坐标' })]);
  });

  it('refuses a ring with fewer than 3 distinct points, naming its first line', () => {
    const text = `${STANDARD}3,,KC-02,线状,面,,,,@\nK1,1,4911000.000,42510000.000\nK2,1,4911000.000,42510100.000\nK1,1,4911000.000,42510000.000\n`;
    expect(refusal(() => parseParcelTxt(text)).problems).toEqual([expect.objectContaining({ line: 20, field: '圈号', feature: 1 })]);
  });

  it('refuses an empty file and a file without [地块坐标]', () => {
    expect(refusal(() => parseParcelTxt(new Uint8Array())).problems).toEqual([expect.objectContaining({ line: 1, message: expect.stringContaining('文件为空') })]);
    expect(refusal(() => parseParcelTxt(' \r\n\r\n')).problems[0].line).toBe(1);
    expect(refusal(() => parseParcelTxt(STANDARD.split('[地块坐标]')[0])).problems).toEqual([expect.objectContaining({ field: '地块坐标', message: expect.stringContaining('缺少[地块坐标]') })]);
    expect(refusal(() => parseParcelTxt(STANDARD.split('5,12.3456')[0])).problems).toEqual([expect.objectContaining({ line: 12, field: '地块坐标' })]);
  });

  it('refuses an unknown 坐标系 on its line', () => {
    expect(refusal(() => parseParcelTxt(STANDARD.replace('2000国家大地坐标系', '地方独立坐标系'))).problems).toEqual([expect.objectContaining({ line: 5, field: '坐标系' })]);
  });

  it('refuses 西安80 and 北京54 without 转换参数, in Chinese and English', () => {
    const xian = refusal(() => parseParcelTxt(STANDARD.replace('2000国家大地坐标系', '1980西安坐标系'))).problems;
    expect(xian).toEqual([expect.objectContaining({ line: 5, field: '坐标系', message: expect.stringMatching(/转换参数.*7 transformation parameters/) })]);
    const beijingZeros = STANDARD.replace('2000国家大地坐标系', '北京54').replace('转换参数=,,,,,,', '转换参数=0,0,0,0,0,0,0');
    expect(refusal(() => parseParcelTxt(beijingZeros)).problems[0]).toMatchObject({ line: 5, field: '坐标系' });
  });

  it('accepts 西安80 with 7 parameters, marking the CRS as needing transformation', () => {
    const file = parseParcelTxt(STANDARD.replace('2000国家大地坐标系', '西安80').replace('转换参数=,,,,,,', '转换参数=-15.2,132.4,60.1,0.5,-1.2,2.3,-3.1'));
    expect(file.crs).toEqual({ epsg: 2366, zone: 42, prefixed: true, datum: 'Xian1980', status: 'needs-transformation', transformationParameters: [-15.2, 132.4, 60.1, 0.5, -1.2, 2.3, -3.1] });
    expect(file.warnings).toEqual([expect.objectContaining({ line: 11, field: '转换参数' })]);
  });

  it('refuses 6-degree zones', () => {
    expect(refusal(() => parseParcelTxt(STANDARD.replace('几度分带=3', '几度分带=6'))).problems).toEqual([expect.objectContaining({ line: 6, field: '几度分带', message: expect.stringContaining('6度') })]);
  });

  it('refuses an empty 带号 when the eastings carry no zone prefix', () => {
    const text = STANDARD.replace('带号=42', '带号=').replace(/,4251/g, ',51');
    expect(refusal(() => parseParcelTxt(text)).problems).toEqual([expect.objectContaining({ line: 9, field: '带号' })]);
  });

  it('refuses eastings whose prefix contradicts 带号, or with 7 integer digits', () => {
    expect(refusal(() => parseParcelTxt(STANDARD.replace('带号=42', '带号=41'))).problems[0]).toMatchObject({ line: 14, field: 'Y' });
    expect(refusal(() => parseParcelTxt(STANDARD.replace('J3,1,4909000.000,42511000.000', 'J3,1,4909000.000,2511000.000'))).problems).toEqual([expect.objectContaining({ line: 16, field: 'Y' })]);
  });

  it('refuses line and point parcels (记录图形属性 线/点)', () => {
    expect(refusal(() => parseParcelTxt(STANDARD.replace(',面,', ',线,'))).problems).toEqual([expect.objectContaining({ line: 13, field: '记录图形属性' })]);
  });
});

describe('bounds', () => {
  const limit = (run: () => unknown): unknown => {
    try {
      run();
    } catch (e) {
      expect(e).toBeInstanceOf(PayloadTooLargeError);
      expect((e as PayloadTooLargeError).status).toBe(413);
      return ((e as PayloadTooLargeError).details as { limit: string }).limit;
    }
    throw new Error('expected a PayloadTooLargeError');
  };

  it('refuses too many bytes, vertices or parcels with 413 naming the bound', () => {
    expect(limit(() => parseParcelTxt(STANDARD, { maxBytes: 100 }))).toBe('maxBytes');
    expect(limit(() => parseParcelTxt(Buffer.from(STANDARD), { maxBytes: 100 }))).toBe('maxBytes');
    expect(limit(() => parseParcelTxt(STANDARD, { maxVertices: 4 }))).toBe('maxVertices');
    expect(limit(() => parseParcelTxt(fixture('holes-and-parts.txt'), { maxParcels: 1 }))).toBe('maxParcels');
  });

  it('accepts a file exactly at each bound', () => {
    expect(parseParcelTxt(STANDARD, { maxBytes: Buffer.byteLength(STANDARD), maxVertices: 5, maxParcels: 1 }).parcels).toHaveLength(1);
  });
});

describe('formatParcelTxt', () => {
  it('writes the standard example back line for line', () => {
    const text = formatParcelTxt(parseParcelTxt(STANDARD).parcels, { eol: '\n' });
    expect(text.split('[地块坐标]')[1]).toBe(STANDARD.split('[地块坐标]')[1]);
    expect(text).toContain('坐标系=2000国家大地坐标系\n几度分带=3\n');
    expect(text).toContain('带号=42\n');
  });

  it('adds the zone prefix to 500 km eastings, closes open rings and numbers rings and points', () => {
    const text = formatParcelTxt([{ code: 'A,1', name: '甲\n乙', geometry: { type: 'Polygon', coordinates: [[[510000, 4910000], [510100, 4910000], [510100, 4909900]]] } }], { eol: '\n' });
    expect(text.split('[地块坐标]\n')[1]).toBe('4,,A、1,甲 乙,面,,,,@\nJ1,1,4910000.000,42510000.000\nJ2,1,4910000.000,42510100.000\nJ3,1,4909900.000,42510100.000\nJ1,1,4910000.000,42510000.000\n');
  });

  it('refuses geometry whose eastings belong to another zone', () => {
    const wrong = { code: 'W', geometry: { type: 'Polygon' as const, coordinates: [[[41510000, 4910000], [41510100, 4910000], [41510100, 4909900], [41510000, 4910000]]] } };
    expect(() => formatParcelTxt([wrong])).toThrow(UnprocessableError);
    expect(() => formatParcelTxt([wrong], { zone: 41 })).not.toThrow();
  });

  it('round-trips holes, parts and attributes through parse', () => {
    for (const name of ['holes-and-parts.txt', 'provincial-header.txt', 'standard-example.txt']) {
      const first = parseParcelTxt(fixture(name));
      const second = parseParcelTxt(formatParcelTxt(first.parcels));
      expect(second.parcels.map((p) => p.geometry)).toEqual(first.parcels.map((p) => p.geometry));
      expect(second.parcels.map((p) => [p.code, p.name, p.declaredAreaHa, p.use, p.landClass])).toEqual(first.parcels.map((p) => [p.code, p.name, p.declaredAreaHa, p.use, p.landClass]));
      expect(second.warnings).toEqual([]);
    }
  });

  it('round-trips the zone-40 reference parcel when told its zone', () => {
    const first = parseParcelTxt(fixture('pengbu-zone40.txt'));
    const second = parseParcelTxt(formatParcelTxt(first.parcels, { zone: 40 }));
    expect(second.crs.epsg).toBe(4528);
    expect(second.parcels[0].geometry).toEqual(first.parcels[0].geometry);
  });
});

// found by a review: one coordinate with a digit dropped was accepted, drawing a spike hundreds of km long
describe('a coordinate with a digit dropped or added is refused on its line', () => {
  it.each([
    ['an easting without its last digit', 'J3,1,4909000.000,42511000.000', 'J3,1,4909000.000,4251100.000', 'Y'],
    ['a northing without a digit', 'J3,1,4909000.000,42511000.000', 'J3,1,490900.000,42511000.000', 'X'],
    ['a northing with a digit too many', 'J3,1,4909000.000,42511000.000', 'J3,1,49090000.000,42511000.000', 'X'],
  ])('%s', (_what, from, to, field) => {
    expect(STANDARD).toContain(from);
    const { problems } = refusal(() => parseParcelTxt(STANDARD.replace(from, to)));
    const line = STANDARD.split('\n').findIndex((l) => l.startsWith(from)) + 1;
    expect(problems).toContainEqual(expect.objectContaining({ line, field }));
  });

  // found by a review of a first check (100 km from the median point), which refused these
  it('large parcels are accepted: a 75 km square, a 100 km corridor, a parcel of two parts 250 km apart', () => {
    const ring = (e: number, n: number, w: number, h: number) => [[e, n], [e + w, n], [e + w, n - h], [e, n - h], [e, n]];
    const parcels = [
      { code: 'BIG', name: '大', geometry: { type: 'Polygon' as const, coordinates: [ring(42_460_000, 4_950_000, 75_000, 75_000)] } },
      { code: 'LONG', name: '长', geometry: { type: 'Polygon' as const, coordinates: [ring(42_400_000, 4_950_000, 100_500, 10_000)] } },
      { code: 'TWO', name: '双', geometry: { type: 'MultiPolygon' as const, coordinates: [[ring(42_300_000, 4_950_000, 1_000, 1_000)], [ring(42_550_000, 4_950_000, 1_000, 1_000)]] } },
    ];
    const file = parseParcelTxt(formatParcelTxt(parcels, { eol: '\n' }));
    expect(file.parcels.map((p) => p.code)).toEqual(['BIG', 'LONG', 'TWO']);
  });

  it('an unprefixed easting far from the central meridian is refused', () => {
    const unprefixed = STANDARD.replace(/425(\d{5})\.000/g, '5$1.000').replace('带号=42', '带号=42');
    const { problems } = refusal(() => parseParcelTxt(unprefixed.replace('J3,1,4909000.000,511000.000', 'J3,1,4909000.000,51100.000')));
    expect(problems).toContainEqual(expect.objectContaining({ field: 'Y' }));
  });
});
