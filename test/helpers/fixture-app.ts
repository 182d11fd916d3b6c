/** A test database seeded with a fixture dataset (test/fixtures/<name>) and an app over it. */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../server/config.js';
import { seedDataset } from '../../server/layers/seed.js';
import { buildTestApp } from './test-app.js';
import { ROOT } from './templates.js';
import { openTestDb, type TestDb } from './test-db.js';

export async function openFixtureApp(fixture: string, overrides: Partial<Config> = {}): Promise<{ db: TestDb; app: FastifyInstance }> {
  const db = await openTestDb('empty');
  await seedDataset(db.kysely, path.join(ROOT, 'test/fixtures', fixture), fixture);
  return { db, app: await buildTestApp(db, overrides) };
}
