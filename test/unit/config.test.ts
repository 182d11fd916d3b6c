import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';

describe('loadConfig', () => {
  it('uses the documented defaults on an empty environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.databaseUrl).toBeNull();
    expect(c.dataDir.endsWith('.data')).toBe(true);
    expect(c.seed).toBe('dehui');
    expect(c.shutdownGraceMs).toBe(15_000);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('names the variable that is malformed', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/^PORT:/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT: must be between/);
    expect(() => loadConfig({ SEED: 'all' })).toThrow(/SEED: must be one of dehui, none/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('reads DATABASE_URL, SEED and limits', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u@h/db', SEED: 'none', ITEMS_LIMIT_MAX: '500', PUBLIC_URL: 'https://gis.example.cn/' });
    expect(c.databaseUrl).toBe('postgres://u@h/db');
    expect(c.seed).toBe('none');
    expect(c.limits.itemsLimitMax).toBe(500);
    expect(c.publicUrl).toBe('https://gis.example.cn');
  });

  it('rate limiting is off by default and configurable; a bad value is named', () => {
    expect(loadConfig({}).rateLimit).toEqual({ max: 0, windowMs: 60_000 });
    expect(loadConfig({ RATE_LIMIT_MAX: '600', RATE_LIMIT_WINDOW_MS: '10000' }).rateLimit).toEqual({ max: 600, windowMs: 10_000 });
    expect(() => loadConfig({ RATE_LIMIT_MAX: '-1' })).toThrow(/^RATE_LIMIT_MAX:/);
    expect(() => loadConfig({ RATE_LIMIT_MAX: 'lots' })).toThrow(/^RATE_LIMIT_MAX: must be an integer/);
    expect(() => loadConfig({ RATE_LIMIT_WINDOW_MS: '10' })).toThrow(/^RATE_LIMIT_WINDOW_MS: must be between/);
  });

  it('SHUTDOWN_GRACE_MS: how long a drain may take (an upload in flight), bounded', () => {
    expect(loadConfig({ SHUTDOWN_GRACE_MS: '120000' }).shutdownGraceMs).toBe(120_000);
    expect(() => loadConfig({ SHUTDOWN_GRACE_MS: '10' })).toThrow(/^SHUTDOWN_GRACE_MS:/);
  });

  it('TRUST_PROXY: off by default; true, or proxy addresses/CIDRs; a hop count is refused', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    // found by a review: Fastify 5 trusts nothing for a hop count, so "1" behind nginx gave every client nginx's address
    expect(() => loadConfig({ TRUST_PROXY: '1' })).toThrow(/^TRUST_PROXY:.*hop count/);
    expect(loadConfig({ TRUST_PROXY: 'uniquelocal,loopback' }).trustProxy).toEqual(['uniquelocal', 'loopback']);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/^TRUST_PROXY:/);
    expect(() => loadConfig({ TRUST_PROXY: '::1/129' })).toThrow(/^TRUST_PROXY:/);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', '::1']);
    expect(() => loadConfig({ TRUST_PROXY: 'nginx' })).toThrow(/^TRUST_PROXY:.*"nginx"/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/8/9' })).toThrow(/^TRUST_PROXY:/);
  });
});
