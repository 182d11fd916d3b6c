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
});
