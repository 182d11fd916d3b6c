/** Makes the test templates once per run (see helpers/templates.ts). */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { connect } from '../server/db/connect.js';
import { migrate } from '../server/db/migrate.js';
import { seedDataset } from '../server/layers/seed.js';
import { DEHUI_DIR, TEST_DATA_DIR, pgTemplateDatabase, pgliteTemplateDir, templateFingerprint, withDatabase, type TemplateName } from './helpers/templates.js';

// The dehui template needs the generated dataset (npm run data:generate); without it, only 'empty'.
const TEMPLATES: TemplateName[] = fs.existsSync(path.join(DEHUI_DIR, 'layers.json')) ? ['empty', 'dehui'] : ['empty'];

async function prepare(name: TemplateName, db: Awaited<ReturnType<typeof connect>>) {
  await migrate(db);
  if (name === 'dehui') await seedDataset(db.kysely, DEHUI_DIR);
}

/**
 * TEST_DB=container: a throw-away postgis/postgis container via testcontainers (needs Docker;
 * never the default). Workers read DATABASE_URL, which is set here before they start.
 */
async function startContainer(): Promise<() => Promise<void>> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgis/postgis:15-3.4').start();
  process.env.DATABASE_URL = container.getConnectionUri();
  return async () => void (await container.stop());
}

export default async function setup(): Promise<(() => Promise<void>) | void> {
  const teardown = process.env.TEST_DB === 'container' ? await startContainer() : undefined;
  await prepareTemplates();
  return teardown;
}

async function prepareTemplates(): Promise<void> {
  const fingerprint = templateFingerprint();
  const url = process.env.DATABASE_URL;
  const started = performance.now();
  if (!url) {
    fs.mkdirSync(TEST_DATA_DIR, { recursive: true });
    // Old templates from earlier fingerprints are stale: remove them.
    for (const d of fs.readdirSync(TEST_DATA_DIR)) {
      if (d.startsWith('template-') && !d.includes(fingerprint)) fs.rmSync(path.join(TEST_DATA_DIR, d), { recursive: true, force: true });
    }
    for (const name of TEMPLATES) {
      const dir = pgliteTemplateDir(name, fingerprint);
      if (fs.existsSync(path.join(dir, '.ready'))) continue;
      // Built aside and renamed into place, so concurrent runs never share a half-built directory.
      const building = `${dir}.building-${process.pid}`;
      fs.rmSync(building, { recursive: true, force: true });
      const db = await connect({ databaseUrl: null, dataDir: building });
      await prepare(name, db);
      await db.close();
      fs.writeFileSync(path.join(building, '.ready'), new Date().toISOString());
      try {
        fs.renameSync(building, dir);
      } catch {
        fs.rmSync(building, { recursive: true, force: true }); // another run finished first
      }
    }
  } else {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    // One builder at a time per cluster: a second run waits, then finds the templates ready.
    await admin.query('select pg_advisory_lock(4220190)');
    try {
      // Templates of other fingerprints are dropped so they do not pile up — but not the newest few:
      // runs from other checkouts (other migrations) may be using them right now. OIDs grow with creation.
      const stale = await admin.query(
        `select datname from pg_database where datname like 'dehui_tpl_%' and datname not like $1
         order by oid desc offset 8`,
        [`%_${fingerprint}`],
      );
      for (const row of stale.rows) await admin.query(`drop database if exists "${row.datname}" with (force)`);
      for (const name of TEMPLATES) {
        const database = pgTemplateDatabase(name, fingerprint);
        const exists = await admin.query('select 1 from pg_database where datname = $1', [database]);
        if (exists.rowCount) continue;
        await admin.query(`create database "${database}"`);
        const db = await connect({ databaseUrl: withDatabase(url, database), dataDir: '' });
        try {
          await prepare(name, db);
        } catch (err) {
          await db.close();
          await admin.query(`drop database if exists "${database}"`);
          throw err;
        }
        await db.close();
      }
    } finally {
      await admin.end();
    }
  }
  console.log(`test templates ready (${url ? 'PostgreSQL' : 'PGlite'}, ${fingerprint}) in ${Math.round(performance.now() - started)} ms`);
}
