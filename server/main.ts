/**
 * Entry point: parse config, open/migrate/seed the database, build the app, listen, and shut
 * down gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close the db).
 */
import { buildApp } from './app.js';
import { bootstrapAdminToken } from './auth/bootstrap.js';
import { loadConfig, ConfigError } from './config.js';
import { connect } from './db/connect.js';
import { migrate } from './db/migrate.js';
import { ensureFeatureStatistics } from './db/statistics.js';
import { seedDataset } from './layers/seed.js';

/** how long in-flight requests may take to finish after SIGTERM before the process gives up (exit 1) */

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
  const seed = config.seed === 'dehui' ? await seedDataset(db.kysely, undefined, undefined, config.ownPartitionRows) : null;
  await ensureFeatureStatistics(db.kysely);
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

  // Graceful shutdown: Fastify's close() stops the listener (new connections are refused), closes
  // idle keep-alive connections, answers 503 to a new request on a busy one, and resolves once
  // every in-flight request has been answered; only then does the database close.
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: draining in-flight requests');
    const timer = setTimeout(() => {
      app.log.error(`shutdown took longer than ${config.shutdownGraceMs / 1000} s (SHUTDOWN_GRACE_MS); exiting`);
      process.exit(1);
    }, config.shutdownGraceMs);
    timer.unref();
    let code = 0;
    try {
      const closed = app.close();
      // said once the listening socket is gone, so an operator (and the drain test) knows
      // from here on a new connection is refused while earlier ones finish
      while (app.server.listening) await new Promise((r) => setTimeout(r, 5));
      const open = await new Promise<number>((resolve) => app.server.getConnections((_err, n) => resolve(n ?? 0)));
      app.log.info({ openConnections: open }, 'listener closed: no new connections; waiting for in-flight requests');
      await closed;
      await db.close();
      app.log.info('shut down cleanly');
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      code = 1;
    } finally {
      process.exit(code);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  const address = await app.listen({ port: config.port, host: config.host });
  app.log.info({ startupMs: Math.round(performance.now() - started) }, `listening on ${address}`);
  console.log(`德惠市矿产资源规划服务 listening on ${address}`);
  // Made only now that the service listens: a start that failed earlier (port taken, a bad setting)
  // would have left an admin token nobody saw, and later starts print none (found by a review).
  const bootstrapToken = !config.adminToken && db.kind === 'pglite' ? await bootstrapAdminToken(db.kysely) : null;
  if (bootstrapToken) {
    // Printed once, to the terminal only (not the structured log): it is not stored anywhere in clear.
    console.log(`初始管理员令牌 (bootstrap admin token, shown once — keep it): ${bootstrapToken}`);
  }
}

main().catch((err) => {
  console.error('start-up failed:', err);
  process.exit(1);
});
