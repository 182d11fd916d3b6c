/**
 * GeoPackage (OGC 12-128r18, an SQLite file) → a stream of SourceFeatures in the file's CRS.
 * Read with sql.js (SQLite compiled to WebAssembly; `node:sqlite` needs Node 22 and native
 * addons need install scripts). sql.js holds the whole database in memory, so the file is
 * bounded by `geopackageBytes` (413). The database is opened once to read the metadata and
 * closed, then opened again by `features()` and closed when that stream ends or fails: an
 * upload refused between the two never leaves a database in memory.
 *
 * Feature tables: gpkg_contents rows with data_type 'features' (several → `layer` chooses, as in
 * a multi-layer zip). Geometry column and srs_id from gpkg_geometry_columns; the CRS from
 * gpkg_spatial_ref_sys (organization EPSG); srs_id 0/-1 or another organization → `crs` required.
 * Attributes: every column but the primary key and the geometry; the primary key is the feature
 * id only when `idField` names it. Rows are read in pages of STAGE_BATCH by primary key.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import initSqlJs, { type Database, type SqlJsStatic, type SqlValue } from 'sql.js';
import { PayloadTooLargeError } from '../errors.js';
import { STAGE_BATCH, type IngestLimits } from './ingest-limits.js';
import type { OpenedSource, SourceCrs, SourceFeature, UploadOptions } from './ingest-types.js';
import { fileProblem, type ProblemList } from './problem-list.js';
import { type Bounds, checkBoundsFit, sourceCrsFromEpsg } from './source-crs.js';
import { gpkgToGeometry, WkbError } from './wkb-read.js';

let sqlJs: Promise<SqlJsStatic> | null = null;

/** sql.js, initialised once per process (the wasm file is compiled once). */
function loadSqlJs(): Promise<SqlJsStatic> {
  if (!sqlJs) {
    const wasm = createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');
    sqlJs = initSqlJs({ locateFile: () => wasm });
    sqlJs.catch(() => {
      sqlJs = null;
    });
  }
  return sqlJs;
}

const notGpkg = (why: string) => fileProblem(`不是有效的 GeoPackage（${why}） (not a valid GeoPackage: ${why})`);

/** "name" quoted as an SQLite identifier */
const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

function rows(db: Database, sqlText: string, params: SqlValue[] = []): Record<string, SqlValue>[] {
  const stmt = db.prepare(sqlText);
  try {
    stmt.bind(params);
    const out: Record<string, SqlValue>[] = [];
    while (stmt.step()) out.push(stmt.getAsObject());
    return out;
  } finally {
    stmt.free();
  }
}

async function openDb(filePath: string): Promise<Database> {
  const SQL = await loadSqlJs();
  const bytes = await fs.readFile(filePath);
  let db: Database;
  try {
    db = new SQL.Database(bytes);
  } catch (e) {
    throw notGpkg((e as Error).message);
  }
  try {
    // opening is lazy: the first statement finds out whether this is a database at all
    rows(db, 'select count(*) as n from sqlite_master');
  } catch (e) {
    db.close();
    throw notGpkg(`${(e as Error).message}`);
  }
  return db;
}

interface TablePlan {
  table: string;
  geomColumn: string;
  pk: string | null;
  /** attribute columns with their declared types */
  columns: { name: string; type: string }[];
  srsId: number;
  bounds: Bounds | null;
}

/**
 * Plain tables only, for every table read here: sql.js runs on the event loop, and a view can hide
 * a query that never ends (a recursive CTE), a virtual table runs a module's code, and a generated
 * column computes each value as it is read (zeroblob: a GB per row). SQLite looks names up
 * without regard to (ASCII) case, so the lookup does too: a view "EvilView" answers for "evilview"
 * (found by a review: an exact-case lookup found nothing, and nothing passed the check).
 */
function assertPlainTable(db: Database, name: string, missing: () => Error): void {
  const found = rows(db, 'select type, sql from sqlite_master where lower(name) = lower(?)', [name]);
  if (found.length === 0) throw missing();
  const { type, sql } = found[0];
  if (type !== 'table') throw notGpkg(`“${name}”不是表而是 ${String(type)}：只读取表 (${name} is a ${String(type)}, not a table; only tables are read)`);
  if (/^\s*create\s+virtual\b/i.test(String(sql ?? ''))) throw notGpkg(`“${name}”是虚拟表：只读取表 (${name} is a virtual table; only tables are read)`);
  const generated = rows(db, `pragma table_xinfo(${q(name)})`).filter((c) => Number(c.hidden) === 2 || Number(c.hidden) === 3);
  if (generated.length) {
    throw notGpkg(`表“${name}”有生成列 ${generated.map((c) => String(c.name)).join('、')}：只读取存储的值 (${name} has generated columns; only stored values are read)`);
  }
}

function featureTables(db: Database): { name: string; bounds: Bounds | null }[] {
  for (const t of ['gpkg_contents', 'gpkg_geometry_columns', 'gpkg_spatial_ref_sys']) {
    assertPlainTable(db, t, () => notGpkg(`没有 ${t} 表 (no ${t} table)`));
  }
  return rows(db, "select table_name, min_x, min_y, max_x, max_y from gpkg_contents where lower(data_type) = 'features' order by rowid").map((r) => {
    const b = [r.min_x, r.min_y, r.max_x, r.max_y];
    return { name: String(r.table_name), bounds: b.every((v) => typeof v === 'number' && Number.isFinite(v)) ? (b as Bounds) : null };
  });
}

function chooseTable(tables: { name: string; bounds: Bounds | null }[], wanted: string | undefined) {
  const layers = tables.map((t) => t.name);
  if (layers.length === 0) throw fileProblem('GeoPackage 中没有要素表（gpkg_contents 中没有 data_type = features 的行） (no feature tables in the GeoPackage)', 'layer', { layers });
  if (wanted !== undefined) {
    const t = tables.find((x) => x.name === wanted) ?? tables.find((x) => x.name.toLowerCase() === wanted.toLowerCase());
    if (!t) throw fileProblem(`GeoPackage 中没有名为“${wanted}”的图层，可选：${layers.join('、')} (no layer "${wanted}" in the GeoPackage)`, 'layer', { layers });
    return t;
  }
  if (tables.length > 1) {
    throw fileProblem(`GeoPackage 中有 ${layers.length} 个图层：${layers.join('、')}，请用参数 layer 指定其一 (several layers in the GeoPackage; choose one with "layer")`, 'layer', { layers });
  }
  return tables[0];
}

function planTable(db: Database, t: { name: string; bounds: Bounds | null }): TablePlan {
  const geom = rows(db, 'select column_name, srs_id from gpkg_geometry_columns where table_name = ?', [t.name]);
  if (geom.length === 0) throw notGpkg(`gpkg_geometry_columns 中没有表“${t.name}”的几何列 (no geometry column for "${t.name}")`);
  const geomColumn = String(geom[0].column_name);
  assertPlainTable(db, t.name, () => notGpkg(`表“${t.name}”不存在 (table "${t.name}" does not exist)`));
  const info = rows(db, `pragma table_info(${q(t.name)})`);
  if (info.length === 0) throw notGpkg(`表“${t.name}”不存在 (table "${t.name}" does not exist)`);
  const pks = info.filter((c) => Number(c.pk) > 0);
  const pk = pks.length === 1 ? String(pks[0].name) : null;
  if (!info.some((c) => String(c.name) === geomColumn)) throw notGpkg(`表“${t.name}”中没有几何列“${geomColumn}” (no column "${geomColumn}")`);
  const columns = info.filter((c) => String(c.name) !== geomColumn && String(c.name) !== pk).map((c) => ({ name: String(c.name), type: String(c.type ?? '').toUpperCase() }));
  return { table: t.name, geomColumn, pk, columns, srsId: Number(geom[0].srs_id), bounds: t.bounds };
}

function resolveCrs(db: Database, plan: TablePlan, opts: UploadOptions, problems: ProblemList): SourceCrs {
  const srs = rows(db, 'select srs_name, organization, organization_coordsys_id from gpkg_spatial_ref_sys where srs_id = ?', [plan.srsId])[0];
  const epsg = srs && String(srs.organization ?? '').toUpperCase() === 'EPSG' && plan.srsId !== 0 && plan.srsId !== -1 ? Number(srs.organization_coordsys_id) : null;
  if (opts.crs !== undefined) {
    if (epsg && epsg !== opts.crs) problems.warn({ field: 'crs', message: `GeoPackage 的坐标系为 EPSG:${epsg}，按参数 crs=EPSG:${opts.crs} 处理 (the crs parameter overrides the GeoPackage's srs)` });
    return sourceCrsFromEpsg(opts.crs, 'parameter', opts.towgs84);
  }
  if (!epsg || !Number.isInteger(epsg)) {
    const what = srs ? `srs_id ${plan.srsId}（${String(srs.organization ?? '')} ${String(srs.organization_coordsys_id ?? '')} ${String(srs.srs_name ?? '')}`.trim() + '）' : `srs_id ${plan.srsId}`;
    throw fileProblem(`GeoPackage 图层“${plan.table}”的坐标系 ${what} 不是 EPSG 代码：请用参数 crs 指定 EPSG 代码 (unknown or undefined srs; give crs, e.g. 4530)`, 'crs', { srsId: plan.srsId });
  }
  return sourceCrsFromEpsg(epsg, 'prj', opts.towgs84);
}

function attributeValue(v: SqlValue, type: string): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (type === 'BOOLEAN' && typeof v === 'number') return v !== 0;
  return v;
}

export async function openGeopackage(filePath: string, size: number, opts: UploadOptions, limits: IngestLimits, problems: ProblemList): Promise<OpenedSource> {
  const max = limits.geopackageBytes;
  if (size > max) {
    throw new PayloadTooLargeError(`GeoPackage 超过 ${max} 字节，请拆分后上传或改用 zip 压缩的 shapefile (GeoPackage larger than geopackageBytes = ${max})`, {
      limit: 'geopackageBytes',
      max,
      actual: size,
    });
  }
  const db = await openDb(filePath);
  let plan: TablePlan;
  let crs: SourceCrs;
  let count: number;
  try {
    try {
      plan = planTable(db, chooseTable(featureTables(db), opts.layer));
      count = Number(rows(db, `select count(*) as n from ${q(plan.table)}`)[0].n);
      crs = resolveCrs(db, plan, opts, problems);
    } catch (e) {
      if ((e as { status?: number }).status !== undefined) throw e;
      throw notGpkg((e as Error).message); // SQLite errors: a damaged or truncated file
    }
  } finally {
    db.close();
  }
  if (count > limits.maxFeatures) {
    throw new PayloadTooLargeError(`要素数 ${count} 超过上限 maxFeatures = ${limits.maxFeatures} (too many features)`, { limit: 'maxFeatures', max: limits.maxFeatures, actual: count });
  }
  if (plan.bounds) checkBoundsFit(crs, plan.bounds);
  return {
    format: 'geopackage',
    crs,
    encoding: 'utf-8',
    layerName: plan.table,
    expectedCount: count,
    features: () => readFeatures(filePath, plan, opts, problems, limits.maxVertices),
  };
}

async function* readFeatures(filePath: string, plan: TablePlan, opts: UploadOptions, problems: ProblemList, maxVertices: number): AsyncGenerator<SourceFeature> {
  const db = await openDb(filePath);
  try {
    const cols = [plan.pk ?? 'rowid', plan.geomColumn, ...plan.columns.map((c) => c.name)].map(q).join(', ');
    // keyset paging on the integer primary key; a table without one (a view) by offset
    const page = plan.pk
      ? db.prepare(`select ${cols} from ${q(plan.table)} where ${q(plan.pk)} > ? order by ${q(plan.pk)} limit ${STAGE_BATCH}`)
      : db.prepare(`select ${cols} from ${q(plan.table)} limit ${STAGE_BATCH} offset ?`);
    const idIsPk = plan.pk !== null && opts.idField === plan.pk;
    let index = 0;
    let after: SqlValue = plan.pk ? -Infinity : 0;
    try {
      for (;;) {
        const batch: SourceFeature[] = [];
        let last: SqlValue = null;
        try {
          page.bind([plan.pk ? after : index]);
          while (page.step()) {
            const row = page.get();
            last = row[0];
            let geometry = null;
            const blob = row[1];
            try {
              if (blob !== null && !(blob instanceof Uint8Array)) throw new WkbError('几何列的值不是二进制数据 (the geometry value is not a blob)');
              geometry = blob === null ? null : gpkgToGeometry(blob, maxVertices);
            } catch (e) {
              if (!(e instanceof WkbError)) throw e;
              problems.error({ feature: index + batch.length, field: 'geometry', message: `几何数据无法解析：${e.message}` });
              batch.push(null as unknown as SourceFeature); // keeps the index; dropped below
              continue;
            }
            const properties: Record<string, unknown> = {};
            plan.columns.forEach((c, k) => (properties[c.name] = attributeValue(row[k + 2], c.type)));
            batch.push({ index: index + batch.length, id: idIsPk && row[0] !== null ? String(row[0]) : null, properties, geometry });
          }
        } catch (e) {
          if ((e as { status?: number }).status !== undefined) throw e;
          throw fileProblem(`GeoPackage 第 ${index} 个要素之后无法读取：文件损坏或被截断 (damaged GeoPackage after feature ${index}: ${(e as Error).message})`, 'file', { feature: index });
        } finally {
          page.reset();
        }
        for (const f of batch) if (f) yield f;
        index += batch.length;
        if (batch.length < STAGE_BATCH) break;
        after = last;
      }
    } finally {
      page.free();
    }
  } finally {
    db.close();
  }
}
