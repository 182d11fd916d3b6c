/**
 * "A SIGTERM drains in-flight requests": the real server (`node --import tsx server/main.ts`)
 * as a child process, two requests in flight when SIGTERM arrives — a plan audit and a conflict
 * check (which stores its report and audit entry) — then: new connections are refused, the
 * in-flight requests are answered in full (the same answers as before SIGTERM), what they wrote
 * is in the database afterwards, and the process exits 0.
 *
 * In flight without timing guesses: each request's headers and the first part of its body go
 * out before SIGTERM (the server has logged "incoming request" for it), the rest of the body only
 * after the server has logged that its listener is closed. The handlers, and their database
 * work, therefore run entirely during the drain.
 */
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import fs from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../server/db/connect.js';
import { seedDataset } from '../../server/layers/seed.js';
import { gkRect } from '../fixtures/checks/make.js';
import { startChildServer } from '../helpers/child-server.js';
import { ROOT } from '../helpers/templates.js';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

const TOKEN = 'drain-test-admin-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const CHECK = { geometry: { type: 'Polygon', coordinates: [gkRect([11, 12, 13, 13])] }, crs: 'EPSG:4530', activity: 'mining', mineral: '建筑用砂', name: '排空测试' };

async function waitFor(done: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not reached: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A POST whose body is sent in two parts: `finish()` sends the rest; `answer` is the full response. */
function splitPost(port: number, url: string, body: string) {
  const bytes = Buffer.from(body);
  const cut = Math.max(1, bytes.length >> 1);
  let answered = false;
  const req = http.request({
    port,
    host: '127.0.0.1',
    method: 'POST',
    path: url,
    agent: false,
    headers: { ...AUTH, 'content-type': 'application/json', 'content-length': bytes.length },
  });
  const answer = new Promise<{ status: number; body: string; connection?: string }>((resolve, reject) => {
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, connection: res.headers.connection }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  req.write(bytes.subarray(0, cut));
  return { answer, answered: () => answered, finish: () => req.end(bytes.subarray(cut)) };
}

/**
 * What a report says, without what differs per run: id, links, time, and the state of the
 * background verification of the control lines' coverage (pending the first time, done later).
 */
function findings(report: Record<string, unknown>) {
  const { id: _id, links: _links, createdAt: _createdAt, coverage: _coverage, ...rest } = report;
  return rest;
}

describe(`SIGTERM drains in-flight requests (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb;
  let env: Record<string, string>;
  let child: ChildProcess | null = null;

  beforeAll(async () => {
    db = await openTestDb('empty');
    await seedDataset(db.kysely, path.join(ROOT, 'test/fixtures/checks'), 'checks-fixture');
    if (usingPostgres()) env = { DATABASE_URL: db.location };
    else {
      await db.close(); // PGlite: the child owns the data directory now
      env = { DATA_DIR: db.location };
    }
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (usingPostgres()) await db?.dispose();
    else if (db) fs.rmSync(db.location, { recursive: true, force: true });
  });

  /** rows written by the server, read straight from the database once it has exited */
  async function stored<T>(fn: (k: TestDb['kysely']) => Promise<T>): Promise<T> {
    if (usingPostgres()) return fn(db.kysely);
    const copy = await connect({ databaseUrl: null, dataDir: db.location });
    try {
      return await fn(copy.kysely);
    } finally {
      await copy.close();
    }
  }

  it('answers the requests in flight in full, refuses new connections, keeps what they wrote, and exits 0', async () => {
    const server = await startChildServer({ env: { ...env, SEED: 'none', ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'info' }, readyTimeoutMs: 90_000 });
    const { child: proc, port, base, exited } = server;
    child = proc;
    expect(server.output()).toContain(`listening on ${base}`);

    // the answers before SIGTERM, to compare the drained ones with
    const auditBefore = await fetch(`${base}/api/checks/plan-audit`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: '{}' });
    expect(auditBefore.status).toBe(200);
    const expectedAudit = (await auditBefore.json()) as Record<string, unknown>;
    expect((expectedAudit.summary as { features: number }).features).toBeGreaterThan(0);
    const checkBefore = await fetch(`${base}/api/checks`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(CHECK) });
    expect(checkBefore.status).toBe(201);
    const expectedCheck = (await checkBefore.json()) as Record<string, unknown>;
    expect(expectedCheck.verdict).toBe('prohibited');

    // two requests in flight: headers and half a body each
    const incoming = (url: string) => server.output().split('\n').filter((l) => l.includes('"msg":"incoming request"') && l.includes(`"url":"${url}"`)).length;
    const audit = splitPost(port, '/api/checks/plan-audit', '{}');
    const check = splitPost(port, '/api/checks', JSON.stringify(CHECK));
    await waitFor(() => incoming('/api/checks/plan-audit') === 2 && incoming('/api/checks') === 2, 'both requests received');

    proc.kill('SIGTERM');
    await waitFor(() => server.output().includes('listener closed'), 'listener closed after SIGTERM');
    // the two in flight are among the connections still open (idle keep-alive ones may still be closing)
    expect(Number(/"openConnections":(\d+)/.exec(server.output())?.[1])).toBeGreaterThanOrEqual(2);

    // a new connection is refused (or, had it slipped in, answered 503), and the process still waits
    const late = await fetch(`${base}/healthz`).then(
      (r) => ({ status: r.status, code: undefined as string | undefined }),
      (err: Error & { cause?: { code?: string } }) => ({ status: 0, code: err.cause?.code }),
    );
    expect(late.status === 503 || late.code === 'ECONNREFUSED', JSON.stringify(late)).toBe(true);
    expect(proc.exitCode).toBeNull();
    expect(audit.answered() || check.answered()).toBe(false);

    // the rest of the bodies: the handlers run now, during the drain
    audit.finish();
    check.finish();
    const [auditAnswer, checkAnswer] = await Promise.all([audit.answer, check.answer]);
    expect(auditAnswer.status, auditAnswer.body).toBe(200);
    expect(findings(JSON.parse(auditAnswer.body))).toEqual(findings(expectedAudit));
    expect(checkAnswer.status, checkAnswer.body).toBe(201);
    const drainedCheck = JSON.parse(checkAnswer.body) as Record<string, unknown>;
    expect(drainedCheck.id).not.toBe(expectedCheck.id);
    expect(findings(drainedCheck)).toEqual(findings(expectedCheck));

    expect(await exited).toBe(0);
    expect(server.output()).toContain('shut down cleanly');

    // what the drained check wrote was committed before the database closed
    const rows = await stored(async (k) => ({
      check: (await sql<{ n: number }>`select count(*)::int as n from checks where id = ${drainedCheck.id as string}::uuid`.execute(k)).rows[0].n,
      audit: (await sql<{ n: number }>`select count(*)::int as n from audit where target = ${drainedCheck.id as string} and action = 'check.create'`.execute(k)).rows[0].n,
      planAudits: (await sql<{ n: number }>`select count(*)::int as n from audit where action = 'check.plan-audit'`.execute(k)).rows[0].n,
    }));
    expect(rows).toEqual({ check: 1, audit: 1, planAudits: 2 });
  }, 180_000);
});
