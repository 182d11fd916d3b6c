/**
 * Entry point: parse config, open/migrate/seed the database, build the app, listen, and shut
 * down gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close the db).
 */
import { buildApp } from './app.js';
import { bootstrapAdminToken } from './auth/bootstrap.js';
import { loadConfig, ConfigError } from './config.js';
import { connect } from './db/connect.js';
import { migrate } from './db/migrate.js';
import { seedDataset } from './layers/seed.js';

async function main(): Promise<void> {
  const started = performance.now();
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`配置错误 (configuration error): ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const db = await connect({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, statementTimeoutMs: config.statementTimeoutMs });
  const applied = await migrate(db);
  const seed = config.seed === 'dehui' ? await seedDataset(db.kysely) : null;
  const bootstrapToken = !config.adminToken && db.kind === 'pglite' ? await bootstrapAdminToken(db.kysely) : null;
  const app = await buildApp(config, db);
  app.log.info(
    {
      database: db.kind === 'pglite' ? `embedded PGlite (${config.dataDir})` : 'PostgreSQL',
      mvtEngine: db.capabilities.mvt ? 'ST_AsMVT' : 'geojson-vt',
      migrationsApplied: applied,
      seed: seed && { seeded: seed.seeded, layers: seed.layers, features: seed.features, ms: Math.round(seed.ms) },
    },
    'database ready',
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: draining in-flight requests');
    const timer = setTimeout(() => {
      app.log.error('shutdown took longer than 15 s; exiting');
      process.exit(1);
    }, 15_000);
    timer.unref();
    try {
      await app.close();
      await db.close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  const address = await app.listen({ port: config.port, host: config.host });
  app.log.info({ startupMs: Math.round(performance.now() - started) }, `listening on ${address}`);
  console.log(`德惠市矿产资源规划服务 listening on ${address}`);
  if (bootstrapToken) {
    // Printed once, to the terminal only (not the structured log): it is not stored anywhere in clear.
    console.log(`初始管理员令牌 (bootstrap admin token, shown once — keep it): ${bootstrapToken}`);
  }
}

main().catch((err) => {
  console.error('start-up failed:', err);
  process.exit(1);
});
