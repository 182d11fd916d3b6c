/** A test database (a template's copy, or seeded with a fixture dataset from test/fixtures/<name>) and an app over it. */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import type { Config } from '../../server/config.js';
import { seedDataset } from '../../server/layers/seed.js';
import { buildTestApp } from './test-app.js';
import { ROOT, type TemplateName } from './templates.js';
import { openTestDb, type TestDb } from './test-db.js';

export async function openFixtureApp(fixture: string, overrides: Partial<Config> = {}): Promise<{ db: TestDb; app: FastifyInstance }> {
  const db = await openTestDb('empty');
  await seedDataset(db.kysely, path.join(ROOT, 'test/fixtures', fixture), fixture);
  return { db, app: await buildTestApp(db, overrides) };
}

export interface FixtureApp {
  readonly db: TestDb;
  readonly app: FastifyInstance;
}

/** openFixtureApp for the enclosing describe block (see useApp) */
export function useFixtureApp(fixture: string, overrides: Partial<Config> = {}): FixtureApp {
  return useApp(`useFixtureApp('${fixture}')`, () => openFixtureApp(fixture, overrides));
}

/** a database cut from a template (test-db.ts) and an app over it, for the enclosing describe block (see useApp) */
export function useTestApp(template: TemplateName, overrides: Partial<Config> = {}): FixtureApp {
  return useApp(`useTestApp('${template}')`, async () => {
    const db = await openTestDb(template);
    return { db, app: await buildTestApp(db, overrides) };
  });
}

/**
 * A database and an app for the enclosing describe block: opened in a beforeAll (registered here,
 * so it runs before the block's own beforeAll hooks), closed and removed in an afterAll. Read
 * `fx.db` and `fx.app` inside tests and hooks; reading them before the beforeAll ran is an error.
 */
function useApp(name: string, open: () => Promise<{ db: TestDb; app: FastifyInstance }>): FixtureApp {
  let opened: { db: TestDb; app: FastifyInstance } | undefined;
  beforeAll(async () => {
    opened = await open();
  });
  afterAll(async () => {
    await opened?.app.close();
    await opened?.db.dispose();
  });
  const get = (): { db: TestDb; app: FastifyInstance } => {
    if (!opened) throw new Error(`${name}: db and app are set in beforeAll; read them inside a test or hook`);
    return opened;
  };
  return {
    get db() {
      return get().db;
    },
    get app() {
      return get().app;
    },
  };
}
