/** A fresh database for one test file, cut from a template (see templates.ts). */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { connect, type Db } from '../../server/db/connect.js';
import { pgTemplateDatabase, pgliteTemplateDir, templateFingerprint, withDatabase, type TemplateName } from './templates.js';

export interface TestDb extends Db {
  /** closes and removes the copy */
  dispose(): Promise<void>;
  /** where this copy lives: a PGlite directory or a PostgreSQL URL */
  location: string;
}

export const usingPostgres = () => Boolean(process.env.DATABASE_URL);

export async function openTestDb(template: TemplateName = 'dehui'): Promise<TestDb> {
  const fingerprint = templateFingerprint();
  const url = process.env.DATABASE_URL;
  const tag = crypto.randomBytes(4).toString('hex');
  if (!url) {
    const dir = path.join(os.tmpdir(), `dehui-test-${process.pid}-${tag}`);
    fs.cpSync(pgliteTemplateDir(template, fingerprint), dir, { recursive: true });
    const db = await connect({ databaseUrl: null, dataDir: dir });
    return Object.assign(db, {
      location: dir,
      dispose: async () => {
        await db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    });
  }
  const database = `dehui_test_${tag}`;
  // Two workers cloning one template at once: PostgreSQL refuses the second (55006); retry.
  for (let attempt = 0; ; attempt++) {
    try {
      await adminQuery(url, `create database "${database}" template "${pgTemplateDatabase(template, fingerprint)}"`);
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== '55006' || attempt > 50) throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  const location = withDatabase(url, database);
  const db = await connect({ databaseUrl: location, dataDir: '' });
  return Object.assign(db, {
    location,
    dispose: async () => {
      await db.close();
      await adminQuery(url, `drop database if exists "${database}" with (force)`);
    },
  });
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
