/** A Fastify app over a test database, for app.inject(). */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.js';
import { loadConfig, type Config } from '../../server/config.js';
import type { Db } from '../../server/db/connect.js';

export function testConfig(overrides: Partial<Config> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', SEED: 'none', ADMIN_TOKEN: 'test-admin-token-0123456789' }, overrides);
}

export async function buildTestApp(db: Db, overrides: Partial<Config> = {}): Promise<FastifyInstance> {
  return buildApp(testConfig(overrides), db);
}
