/**
 * Security headers on every answer (a CSP the MapLibre viewer can live with) and rate limiting
 * per token or client address, before authentication, with a 429 in the project's error shape.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/test-app.js';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };

/** directive name → sources */
function csp(header: unknown): Record<string, string[]> {
  expect(typeof header).toBe('string');
  return Object.fromEntries(
    (header as string)
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name, sources]),
  );
}

describe(`security headers and rate limits (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb;
  let app: FastifyInstance;
  let limited: FastifyInstance;
  let https: FastifyInstance;
  beforeAll(async () => {
    db = await openTestDb('empty');
    app = await buildTestApp(db);
    limited = await buildTestApp(db, { rateLimit: { max: 3, windowMs: 60_000 } });
    https = await buildTestApp(db, { publicUrl: 'https://gis.dehui.example.cn' });
  });
  afterAll(async () => {
    await app?.close();
    await limited?.close();
    await https?.close();
    await db?.dispose();
  });

  it.each(['/', '/api/layers', '/styles/default.json', '/api/tokens', '/no/such/route'])('%s carries the security headers and a CSP that lets MapLibre run', async (url) => {
    const r = await app.inject(url);
    const d = csp(r.headers['content-security-policy']);
    expect(d['default-src']).toEqual(["'self'"]);
    expect(d['script-src']).toEqual(["'self'"]);
    expect(d['worker-src']).toContain('blob:');
    expect(d['child-src']).toContain('blob:');
    expect(d['style-src']).toContain("'unsafe-inline'");
    expect(d['img-src']).toEqual(expect.arrayContaining(["'self'", 'data:', 'blob:']));
    expect(d['connect-src']).toEqual(["'self'"]);
    expect(d['object-src']).toEqual(["'none'"]);
    expect(d['frame-ancestors']).toEqual(["'self'"]);
    // plain-HTTP intranet deployments keep working
    expect(d).not.toHaveProperty('upgrade-insecure-requests');
    expect(r.headers['strict-transport-security']).toBeUndefined();
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    // the API and tiles are read by the 一张图 system from other origins
    expect(r.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(r.headers['x-powered-by']).toBeUndefined();
  });

  it('with an https PUBLIC_URL: HSTS (no subdomains) and that origin allowed for fetches and images', async () => {
    const r = await https.inject('/api/layers');
    expect(r.headers['strict-transport-security']).toBe('max-age=31536000');
    const d = csp(r.headers['content-security-policy']);
    expect(d['connect-src']).toEqual(["'self'", 'https://gis.dehui.example.cn']);
    expect(d['img-src']).toContain('https://gis.dehui.example.cn');
  });

  it('no rate limit by default', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => app.inject({ url: '/healthz', remoteAddress: '10.1.1.1' })));
    expect(answers.map((r) => r.statusCode)).toEqual(Array(30).fill(200));
    const r = await app.inject('/api/layers');
    expect(r.headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('limits per client address: the 4th request in the window is a 429 with Retry-After and a Chinese + English message', async () => {
    const from = (remoteAddress: string) => limited.inject({ url: '/api/layers', remoteAddress });
    const first = await from('10.0.0.1');
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-ratelimit-limit']).toBe('3');
    expect(first.headers['x-ratelimit-remaining']).toBe('2');
    expect((await from('10.0.0.1')).statusCode).toBe(200);
    expect((await from('10.0.0.1')).statusCode).toBe(200);
    const refused = await from('10.0.0.1');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    const body = refused.json();
    expect(body).toMatchObject({ error: 'too_many_requests', details: { limit: 'rateLimit', max: 3, windowMs: 60_000 } });
    expect(body.message).toMatch(/^请求过于频繁.*\(too many requests.*\)$/);
    expect(refused.headers['content-security-policy']).toBeDefined();
    // another address has its own budget
    expect((await from('10.0.0.2')).statusCode).toBe(200);
  });

  it('limits per token across addresses once it has authenticated, one token not spending another’s budget', async () => {
    const tokenA = { authorization: 'Bearer test-admin-token-0123456789' };
    const statuses = [];
    // the first request counts against its address (the token is not known yet); then the token has its own budget
    for (const ip of ['10.0.1.1', '10.0.1.2', '10.0.1.3', '10.0.1.4', '10.0.1.5']) statuses.push((await limited.inject({ url: '/api/tokens', headers: tokenA, remoteAddress: ip })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    // the same address without the token is a different key
    expect((await limited.inject({ url: '/api/layers', remoteAddress: '10.0.1.4' })).statusCode).toBe(200);
  });

  // found by a review: OGC API Tiles forwarded each tile in-process (app.inject) from 127.0.0.1, so
  // all its clients shared one budget (and a token was counted twice)
  it('OGC API tiles count once per client: one address spending its budget leaves another its own', async () => {
    const tile = (remoteAddress: string) => limited.inject({ url: '/ogc/collections/no-such-layer/tiles/WebMercatorQuad/3/6/2', remoteAddress });
    const first = await tile('10.0.4.1');
    expect(first.headers['x-ratelimit-remaining']).toBe('2');
    expect((await tile('10.0.4.1')).statusCode).not.toBe(429);
    expect((await tile('10.0.4.1')).statusCode).not.toBe(429);
    expect((await tile('10.0.4.1')).statusCode).toBe(429);
    const other = await tile('10.0.4.2');
    expect(other.statusCode).toBe(404);
    expect(other.headers['x-ratelimit-remaining']).toBe('2');
  });

  // found by a review: X-Forwarded-Host/-Proto were taken from any client
  it('links follow X-Forwarded-Host/-Proto only behind a trusted proxy (TRUST_PROXY); otherwise the Host header', async () => {
    const spoofed = { host: 'gis.test', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };
    const direct = (await app.inject({ url: '/ogc', headers: spoofed })).json();
    expect(direct.links.every((l: { href: string }) => l.href.startsWith('http://gis.test/'))).toBe(true);
    const proxied = await buildTestApp(db, { trustProxy: true });
    try {
      const behind = (await proxied.inject({ url: '/ogc', headers: { ...spoofed, 'x-forwarded-host': 'gis.dehui.example.cn' } })).json();
      expect(behind.links.every((l: { href: string }) => l.href.startsWith('https://gis.dehui.example.cn/'))).toBe(true);
    } finally {
      await proxied.close();
    }
  });

  it('one token spelt differently (bearer / Bearer, more spaces) shares one budget', async () => {
    const secret = 'test-admin-token-0123456789';
    const spellings = [`Bearer ${secret}`, `Bearer ${secret}`, `bearer ${secret}`, `BEARER   ${secret}`, `Bearer\t${secret}`];
    const own = await buildTestApp(db, { rateLimit: { max: 3, windowMs: 60_000 } }); // a budget no other test spent
    try {
      const statuses = [];
      for (const [i, authorization] of spellings.entries()) statuses.push((await own.inject({ url: '/api/tokens', headers: { authorization }, remoteAddress: `10.0.5.${i + 1}` })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 200, 429]); // the first counted against its address, as any new token
    } finally {
      await own.close();
    }
  });

  it('a flood of made-up tokens, each different, spends its address’s budget (a new token is no new budget)', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await limited.inject({ url: '/api/layers', headers: { authorization: `Bearer made-up-token-${i}-xxxxxxxx` }, remoteAddress: '10.0.2.9' })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  it('counts before authentication: a flood of invalid tokens is cut at the limit', async () => {
    const bogus = { authorization: 'Bearer not-a-real-token-xxxx' };
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await limited.inject({ url: '/api/layers', headers: bogus, remoteAddress: '10.0.2.1' })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  it('health and metrics probes are never limited, and a limited write is not written to the audit trail', async () => {
    for (let i = 0; i < 6; i++) {
      expect((await limited.inject({ url: '/healthz', remoteAddress: '10.0.3.1' })).statusCode).toBe(200);
      expect((await limited.inject({ url: '/readyz', remoteAddress: '10.0.3.1' })).statusCode).toBe(200);
    }
    const count = async () => (await db.kysely.selectFrom('audit').select('id').execute()).length;
    const before = await count();
    const statuses = [];
    // five write routes (a refusal without a token is recorded once per address, method and route a minute)
    const writes = [['POST', '/api/tokens'], ['POST', '/api/checks'], ['POST', '/api/layers'], ['POST', '/api/layers/x1/uploads'], ['DELETE', '/api/tokens/x1']] as const;
    for (const [method, url] of writes) statuses.push((await limited.inject({ method, url, headers: { authorization: 'Bearer a-distinct-bogus-token' }, remoteAddress: '10.0.3.2', payload: { name: 'x', role: 'viewer' } })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    // the three refusals are recorded; the two 429s are not
    expect(await count()).toBe(before + 3);
    // (read through the unlimited app: the admin token spent its budget above)
    expect((await app.inject({ url: '/api/audit?result=refused&limit=1', headers: ADMIN })).json().entries[0]).toMatchObject({ actor: 'anonymous', ip: '10.0.3.2' });
  });
});
