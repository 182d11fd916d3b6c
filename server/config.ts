/**
 * Configuration: read once from the environment, validated, frozen.
 * No other file reads process.env. A malformed variable is named in the error.
 */
import net from 'node:net';
import path from 'node:path';

export interface Config {
  readonly port: number;
  readonly host: string;
  /** unset → embedded PGlite + PostGIS in dataDir */
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  readonly seed: 'dehui' | 'none';
  /** bootstrap admin credential; generated and printed once when unset in embedded mode */
  readonly adminToken: string | null;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** statement_timeout for API queries, ms */
  readonly statementTimeoutMs: number;
  /** SIGTERM/SIGINT: how long in-flight requests (a long upload) may take to finish before the process exits */
  readonly shutdownGraceMs: number;
  /** allowed CORS origins ('*' or a comma-separated list); empty = CORS off */
  readonly corsOrigins: readonly string[];
  /** public base URL used in links (OGC, TileJSON); derived from the request when unset */
  readonly publicUrl: string | null;
  /** in-process tile cache bound, bytes */
  readonly tileCacheBytes: number;
  /** geojson-vt indexes (PGlite, or zooms below POSTGIS_MIN_ZOOM): estimated heap at most */
  readonly tileIndexBytes: number;
  /** on PostgreSQL, zooms below this are cut from the in-memory geojson-vt index (measured: bench/tiles.ts) */
  readonly postgisMinZoom: number;
  /**
   * Fastify trustProxy: whose X-Forwarded-For to believe for the client address (audit `ip`,
   * rate-limit key). false = the socket peer; a hop count; or proxy addresses/CIDRs.
   */
  readonly trustProxy: boolean | string[];
  /** requests per key (token, else client IP) per window; 0 = no rate limit */
  readonly rateLimit: Readonly<{ max: number; windowMs: number }>;
  /**
   * a layer's first write of at least this many rows is a bulk load into a partition of its own,
   * indexed once after the rows are in (server/layers/layer-partition.ts)
   */
  readonly ownPartitionRows: number;
  readonly limits: Readonly<{
    bodyBytes: number;
    uploadBytes: number;
    maxVertices: number;
    maxFeatures: number;
    itemsLimitMax: number;
  }>;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

type Env = Record<string, string | undefined>;

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

/** proxy-addr's named ranges: 127.0.0.1/8 and ::1; 169.254/16 and fe80::/10; 10/8, 172.16/12, 192.168/16 and fc00::/7 */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function trustProxyVar(env: Env): boolean | string[] {
  const raw = env.TRUST_PROXY?.trim() ?? '';
  if (raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  // Fastify 5 trusts nothing for a hop count (it cannot check the immediate peer): refused, not
  // silently ineffective (found by a review: TRUST_PROXY=1 behind nginx gave every client nginx's address)
  if (/^\d+$/.test(raw)) {
    throw new ConfigError('TRUST_PROXY', `a hop count ("${raw}") is not supported: give the proxy's addresses/CIDRs (e.g. 10.0.0.0/8 or uniquelocal), or true`);
  }
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of list) {
    if (NAMED_RANGES.has(item)) continue;
    const [address, bits, extra] = item.split('/');
    const family = net.isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    if (extra !== undefined || family === 0 || (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > maxBits))) {
      throw new ConfigError('TRUST_PROXY', `must be true, false, or proxy addresses/CIDRs (or loopback, linklocal, uniquelocal) separated by commas, got "${item}"`);
    }
  }
  Object.freeze(list);
  return list;
}

export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must start with postgres:// or postgresql://');
  }
  const publicUrl = env.PUBLIC_URL?.trim().replace(/\/+$/, '') || null;
  if (publicUrl && !/^https?:\/\//.test(publicUrl)) throw new ConfigError('PUBLIC_URL', 'must be an http(s) URL');
  const adminToken = env.ADMIN_TOKEN?.trim() || null;
  if (adminToken !== null && adminToken.length < 16) {
    throw new ConfigError('ADMIN_TOKEN', 'must be at least 16 characters');
  }
  const config: Config = {
    port: intVar(env, 'PORT', 3000, 0, 65535),
    host: env.HOST?.trim() || '127.0.0.1',
    databaseUrl,
    dataDir: path.resolve(env.DATA_DIR?.trim() || './.data'),
    seed: oneOf(env, 'SEED', ['dehui', 'none'] as const, 'dehui'),
    adminToken,
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    statementTimeoutMs: intVar(env, 'STATEMENT_TIMEOUT_MS', 30_000, 100, 3_600_000),
    shutdownGraceMs: intVar(env, 'SHUTDOWN_GRACE_MS', 15_000, 1_000, 3_600_000),
    corsOrigins: (env.CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    publicUrl,
    tileCacheBytes: intVar(env, 'TILE_CACHE_BYTES', 256 * 1024 * 1024, 0, 2 ** 36),
    tileIndexBytes: intVar(env, 'TILE_INDEX_BYTES', 1024 * 1024 * 1024, 1024 * 1024, 2 ** 38),
    postgisMinZoom: intVar(env, 'POSTGIS_MIN_ZOOM', 0, 0, 23),
    trustProxy: trustProxyVar(env),
    // Off by default: behind a proxy without TRUST_PROXY every user would share one bucket.
    rateLimit: Object.freeze({
      max: intVar(env, 'RATE_LIMIT_MAX', 0, 0, 10_000_000),
      windowMs: intVar(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 100, 86_400_000),
    }),
    ownPartitionRows: intVar(env, 'OWN_PARTITION_ROWS', 10_000, 1, 2 ** 31 - 1),
    limits: Object.freeze({
      bodyBytes: intVar(env, 'MAX_BODY_BYTES', 20 * 1024 * 1024, 1024, 2 ** 31),
      uploadBytes: intVar(env, 'MAX_UPLOAD_BYTES', 200 * 1024 * 1024, 1024, 2 ** 34),
      maxVertices: intVar(env, 'MAX_VERTICES', 200_000, 10, 50_000_000),
      maxFeatures: intVar(env, 'MAX_FEATURES', 500_000, 1, 50_000_000),
      itemsLimitMax: intVar(env, 'ITEMS_LIMIT_MAX', 10_000, 1, 1_000_000),
    }),
    ...overrides,
  };
  return Object.freeze(config);
}
