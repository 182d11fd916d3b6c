/**
 * The real entry point as a child process: it starts on the configured port, says where it
 * listens, serves, and on SIGTERM drains and exits 0. (Database: a copy of the test template.)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, pgliteTemplateDir, templateFingerprint } from '../helpers/templates.js';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe(`server process (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb | null = null;
  let env: Record<string, string>;
  beforeAll(async () => {
    if (usingPostgres()) {
      db = await openTestDb('empty');
      env = { DATABASE_URL: db.location };
      await db.close(); // the child owns the database now; dispose() drops it afterwards
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dehui-main-'));
      fs.cpSync(pgliteTemplateDir('empty', templateFingerprint()), dir, { recursive: true });
      env = { DATA_DIR: dir };
    }
  });
  afterAll(async () => {
    if (db) await db.dispose().catch(() => {});
    if (env.DATA_DIR) fs.rmSync(env.DATA_DIR, { recursive: true, force: true });
  });

  it('listens where configured, serves, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', SEED: 'none', ADMIN_TOKEN: 'process-test-admin-token', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!out.includes('listening on') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain(`listening on http://127.0.0.1:${port}`);
    const health = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(health.status).toBe(200);
    expect(out).not.toContain('process-test-admin-token');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses a malformed variable, naming it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(err).toContain('PORT: must be an integer');
  });
});
