/**
 * The embedded database's first admin token (no ADMIN_TOKEN): made and printed once the service
 * listens. Found by a review: it was made before `listen`, so a first start that failed there (a
 * port taken) left an admin token nobody had seen, and later starts printed none.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startChildServer } from '../helpers/child-server.js';
import { ROOT } from '../helpers/templates.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dehui-bootstrap-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));
// the embedded database, whatever the run's DATABASE_URL
const env = { DATABASE_URL: '', DATA_DIR: dataDir, SEED: 'none', LOG_LEVEL: 'warn', ADMIN_TOKEN: '' };

describe('the bootstrap admin token (embedded database)', () => {
  it('a first start that cannot listen makes no token; the next start makes one, prints it once, and it works', async () => {
    const taken = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d));
      child.stderr!.on('data', (d: Buffer) => (out += d));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code, out).not.toBe(0);
      expect(out).toMatch(/EADDRINUSE/);
      expect(out).not.toMatch(/初始管理员令牌/);
    } finally {
      taken.close();
    }
    const server = await startChildServer({ env, readyTimeoutMs: 120_000 });
    try {
      // the token line follows the "listening" line
      await expect.poll(() => server.output(), { timeout: 60_000, interval: 20 }).toMatch(/初始管理员令牌/);
      const token = /初始管理员令牌[^:]*: (\S+)/.exec(server.output())?.[1];
      expect(token, server.output()).toBeDefined();
      const r = await fetch(`${server.base}/api/tokens`, { headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(200);
    } finally {
      await server.stop();
    }
    // a third start prints none (the admin exists)
    const again = await startChildServer({ env, readyTimeoutMs: 120_000 });
    expect(await again.stop()).toBe(0);
    expect(again.output()).toMatch(/listening on/);
    expect(again.output()).not.toMatch(/初始管理员令牌/); // all it printed, up to its exit
  }, 300_000);
});
