/**
 * One real server for the e2e run: `node --import tsx server/main.ts` on a free port over a
 * temporary data directory, copied from the seeded PGlite test template when one is ready
 * (.test-data/template-dehui-<fingerprint>, made by `npm test`), else seeded on first start.
 * Builds web/dist first when it is missing. Mints planner and editor tokens with the admin token.
 * For development, E2E_BASE_URL and E2E_ADMIN_TOKEN point the tests at a server already running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from '../helpers/child-server.js';
import { ROOT, pgliteTemplateDir, templateFingerprint } from '../helpers/templates.js';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    adminToken: string;
    plannerToken: string;
    editorToken: string;
    viewerToken: string;
  }
}

const READY_TIMEOUT_MS = 200_000;

/** A seeded template directory to copy, when `npm test` has made one for the current data. */
function seededTemplate(): string | null {
  try {
    const dir = pgliteTemplateDir('dehui', templateFingerprint());
    return fs.existsSync(path.join(dir, '.ready')) ? dir : null;
  } catch {
    return null;
  }
}

async function waitReady(baseUrl: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${log()}`);
    try {
      const res = await fetch(`${baseUrl}/readyz`);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`server not ready after ${READY_TIMEOUT_MS} ms:\n${log()}`);
}

async function mint(baseUrl: string, admin: string, role: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `e2e-${role}`, role }),
  });
  if (res.status !== 201) throw new Error(`minting a ${role} token: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** E2E_BASE_URL + E2E_ADMIN_TOKEN: use a server that is already running (development only). */
async function useRunningServer(project: TestProject, baseUrl: string, adminToken: string): Promise<() => Promise<void>> {
  project.provide('baseUrl', baseUrl);
  project.provide('adminToken', adminToken);
  project.provide('plannerToken', await mint(baseUrl, adminToken, 'planner'));
  project.provide('editorToken', await mint(baseUrl, adminToken, 'editor'));
  project.provide('viewerToken', await mint(baseUrl, adminToken, 'viewer'));
  return async () => undefined;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.E2E_BASE_URL && process.env.E2E_ADMIN_TOKEN) return useRunningServer(project, process.env.E2E_BASE_URL, process.env.E2E_ADMIN_TOKEN);
  if (!fs.existsSync(path.join(ROOT, 'web/dist/index.html'))) {
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('npm run build failed');
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dehui-e2e-'));
  const template = seededTemplate();
  if (template) fs.cpSync(template, dataDir, { recursive: true });

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const adminToken = crypto.randomBytes(24).toString('base64url').slice(0, 32);
  let output = '';
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, SEED: 'dehui', ADMIN_TOKEN: adminToken, LOG_LEVEL: 'warn', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (b: Buffer) => (output = (output + b.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  const teardown = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          r(null);
        }, 15_000);
        child.once('exit', () => {
          clearTimeout(t);
          r(null);
        });
      });
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitReady(baseUrl, child, () => output);
    console.log(`e2e server ready at ${baseUrl} in ${Math.round(performance.now() - started)} ms (${template ? 'copied seeded template' : 'seeded on first start'})`);
    project.provide('baseUrl', baseUrl);
    project.provide('adminToken', adminToken);
    project.provide('plannerToken', await mint(baseUrl, adminToken, 'planner'));
    project.provide('editorToken', await mint(baseUrl, adminToken, 'editor'));
    project.provide('viewerToken', await mint(baseUrl, adminToken, 'viewer'));
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
