/**
 * "A process killed in the middle of an upload leaves no partial version": the real server
 * (`node --import tsx server/main.ts`) as a child process, a large GeoJSON upload streamed
 * over real HTTP, SIGKILL while the upload is inside its transaction, a new server on the
 * same database — the layer's version, feature count, version list and stored rows are as
 * before, and the next upload works.
 *
 * When to kill, without timing guesses: after the server's "upload staging" log line (the
 * first batch is in the transaction's temp table; both databases), and on PostgreSQL also
 * while pg_stat_activity shows the INSERT into `features` running (every row being written,
 * nothing committed). The request must not have been answered when the child dies.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../server/db/connect.js';
import { seedDataset } from '../../server/layers/seed.js';
import { collection, multipart, parcels } from '../fixtures/uploads/upload-files.js';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';
import { ROOT } from '../helpers/templates.js';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

const TOKEN = 'kill-test-admin-token-0123456789';
const LAYER = 'permanent-farmland';
const AUTH = { authorization: `Bearer ${TOKEN}` };
/** big enough that staging, validation and the write take far longer than reacting to a log line */
const FEATURES = 40_000;

const startServer = (env: Record<string, string>): Promise<ChildServer> =>
  startChildServer({ env: { ...env, SEED: 'none', ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'info' }, readyTimeoutMs: 90_000 });

async function waitFor(done: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** POST a multipart body in 64 KiB chunks over a real socket; resolves with the response or the socket error. */
function streamUpload(port: number, body: { payload: Buffer; headers: Record<string, string> }) {
  let answered = false;
  const done = new Promise<{ status?: number; error?: string }>((resolve) => {
    const req = http.request(
      { port, host: '127.0.0.1', method: 'POST', path: `/api/layers/${LAYER}/uploads`, headers: { ...AUTH, ...body.headers, 'content-length': body.payload.length } },
      (res) => {
        answered = true;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
      },
    );
    req.on('error', (e) => resolve({ error: e.message }));
    let at = 0;
    const pump = () => {
      while (at < body.payload.length) {
        const chunk = body.payload.subarray(at, at + 65536);
        at += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
  return { done, answered: () => answered };
}

interface LayerState {
  version: number;
  featureCount: number;
  versions: unknown[];
}

async function layerState(base: string): Promise<LayerState> {
  const layer = await (await fetch(`${base}/api/layers/${LAYER}`)).json();
  const versions = await (await fetch(`${base}/api/layers/${LAYER}/versions`)).json();
  return { version: layer.version, featureCount: layer.featureCount, versions };
}

describe(`a server killed mid-upload (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb;
  let env: Record<string, string>;
  let rowsBefore: number;
  let big: { payload: Buffer; headers: Record<string, string> };
  const children: ChildProcess[] = [];
  // the servers' os.tmpdir(): the killed upload's temp folder stays in here and goes with it
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dehui-kill-test-'));

  beforeAll(async () => {
    db = await openTestDb('empty');
    await seedDataset(db.kysely, path.join(ROOT, 'test/fixtures/mini'), 'mini');
    rowsBefore = (await sql<{ n: number }>`select count(*)::int as n from features where layer_id = ${LAYER}`.execute(db.kysely)).rows[0].n;
    if (usingPostgres()) env = { DATABASE_URL: db.location, TMPDIR: tmp };
    else {
      await db.close(); // PGlite: the child owns the data directory now
      env = { DATA_DIR: db.location, TMPDIR: tmp };
    }
    big = await multipart({ name: '大文件.geojson', data: JSON.stringify(collection(parcels(FEATURES))) }, { note: '将被中断' });
  }, 180_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (usingPostgres()) await db?.dispose();
    else if (db) fs.rmSync(db.location, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** total rows of the layer, history included, read straight from the database */
  async function storedRows(): Promise<number> {
    if (usingPostgres()) return (await sql<{ n: number }>`select count(*)::int as n from features where layer_id = ${LAYER}`.execute(db.kysely)).rows[0].n;
    const copy = await connect({ databaseUrl: null, dataDir: db.location });
    try {
      return (await sql<{ n: number }>`select count(*)::int as n from features where layer_id = ${LAYER}`.execute(copy.kysely)).rows[0].n;
    } finally {
      await copy.close();
    }
  }

  async function killDuring(when: (server: ChildServer, answered: () => boolean) => Promise<void>): Promise<LayerState> {
    const server = await startServer(env);
    children.push(server.child);
    const before = await layerState(server.base);
    const upload = streamUpload(server.port, big);
    await when(server, upload.answered);
    server.child.kill('SIGKILL');
    expect(await server.exited).toBe('SIGKILL');
    const result = await upload.done;
    expect(upload.answered(), 'the upload was answered before the kill').toBe(false);
    expect(result.error).toBeTruthy();
    // the received file was written only inside the server's temp folder
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith('dehui-upload-')).length).toBeGreaterThan(0);
    return before;
  }

  let nextStart = 100_000; // each small upload brings new ids: 3 added, all earlier ones removed
  async function assertUnchangedThenUpload(before: LayerState): Promise<void> {
    if (usingPostgres()) {
      // the killed server's backend rolls back when its socket closes
      await waitFor(async () => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'`.execute(db.kysely)).rows[0].n === 0, 30_000);
      expect(await storedRows()).toBe(rowsBefore);
    }
    const server = await startServer(env);
    children.push(server.child);
    expect(await layerState(server.base)).toEqual(before);
    const small = await multipart({ name: '小文件.geojson', data: JSON.stringify(collection(parcels(3, nextStart))) });
    nextStart += 1000;
    const res = await fetch(`${server.base}/api/layers/${LAYER}/uploads`, { method: 'POST', headers: { ...AUTH, ...small.headers }, body: small.payload });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await res.json()).toMatchObject({ version: before.version + 1, featureCount: 3, added: 3, removed: before.featureCount });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    // nothing of the killed upload was stored: only the small upload's 3 rows were added
    expect(await storedRows()).toBe(rowsBefore + 3);
    rowsBefore += 3;
  }

  it('SIGKILL while staging (after the first staged batch) changes nothing; the next upload works', async () => {
    const before = await killDuring(async (server, answered) => {
      await waitFor(() => answered() || server.output().includes('"msg":"upload staging"'), 120_000);
    });
    await assertUnchangedThenUpload(before);
  }, 300_000);

  it.runIf(usingPostgres())('SIGKILL while the INSERT into features runs changes nothing; the next upload works', async () => {
    const before = await killDuring(async (_server, answered) => {
      await waitFor(async () => answered() || (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and state = 'active'
          and query ilike '%insert into features%'`.execute(db.kysely)).rows[0].n > 0, 120_000);
    });
    await assertUnchangedThenUpload(before);
  }, 300_000);
});
