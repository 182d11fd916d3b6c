/**
 * Test databases are cut from templates made once per run (global-setup.ts):
 * - embedded: a PGlite data directory, migrated (and seeded), copied per test file;
 * - PostgreSQL (DATABASE_URL set): template databases, cloned with CREATE DATABASE … TEMPLATE.
 * So no test file pays PostGIS's unpack or the dataset's seed.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TEST_DATA_DIR = path.join(ROOT, '.test-data');
export const DEHUI_DIR = path.join(ROOT, 'data/geojson');

export type TemplateName = 'empty' | 'dehui';

/** A fingerprint of everything a template depends on: reuse a template only while it matches. */
export function templateFingerprint(): string {
  const hash = crypto.createHash('sha256');
  const add = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const f of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, f);
      if (fs.statSync(p).isFile()) hash.update(f).update(fs.readFileSync(p));
    }
  };
  add(path.join(ROOT, 'migrations'));
  add(DEHUI_DIR);
  hash.update(fs.readFileSync(path.join(ROOT, 'server/layers/seed.ts')));
  hash.update(fs.readFileSync(path.join(ROOT, 'server/layers/layer-writes.ts')));
  return hash.digest('hex').slice(0, 12);
}

export function pgliteTemplateDir(name: TemplateName, fingerprint: string): string {
  return path.join(TEST_DATA_DIR, `template-${name}-${fingerprint}`);
}

export function pgTemplateDatabase(name: TemplateName, fingerprint: string): string {
  return `dehui_tpl_${name}_${fingerprint}`;
}

/** DATABASE_URL with another database name */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
