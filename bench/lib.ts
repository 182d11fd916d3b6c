/** Shared benchmark helpers: timing, percentiles, a throw-away database, a fixed tile list. */
import net from 'node:net';
import pg from 'pg';
import { connect, type Db } from '../server/db/connect.js';
import { migrate } from '../server/db/migrate.js';
import { seedDataset } from '../server/layers/seed.js';
import { tileAt, type TileCoord } from '../server/tiles/tile-math.js';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
}

/** A fresh database named `name` on DATABASE_URL's server, migrated and seeded with the Dehui dataset. */
export async function benchDatabase(name: string): Promise<{ db: Db; url: string; reused: boolean }> {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('set DATABASE_URL (PostgreSQL with PostGIS) to run this benchmark');
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  // BENCH_REUSE=1 keeps a database from an earlier run (loading 200k parcels takes minutes).
  const exists = (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount;
  const reuse = Boolean(exists) && process.env.BENCH_REUSE === '1';
  if (!reuse) {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query(`create database "${name}"`);
  }
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  const db = await connect({ databaseUrl: u.toString(), dataDir: '', statementTimeoutMs: 600_000 });
  await migrate(db);
  await seedDataset(db.kysely);
  return { db, url: u.toString(), reused: reuse };
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The fixed list of docs/performance.md: z8 ×2, z10 ×20, z12 ×80, z14 ×100 over the farmland extent. */
export function tileList(bbox: [number, number, number, number], seed = 8): TileCoord[] {
  const rand = prng(seed);
  const pick = (z: number, n: number) => {
    const seen = new Map<string, TileCoord>();
    for (let i = 0; seen.size < n && i < n * 50; i++) {
      const t = tileAt(bbox[0] + rand() * (bbox[2] - bbox[0]), bbox[1] + rand() * (bbox[3] - bbox[1]), z);
      seen.set(`${t.x}/${t.y}`, t);
    }
    return [...seen.values()];
  };
  return [...pick(8, 2), ...pick(10, 20), ...pick(12, 80), ...pick(14, 100)];
}

/**
 * A minimal HTTP/1.1 keep-alive client on one socket, for sequential latency measurements: it
 * writes a GET and reads the status line, headers and a Content-Length body, nothing else. Node's
 * http client spends ~0.3 ms of JavaScript per request here (bench/tiles.ts prints both), as much
 * as a whole z14 tile's query: that is the client's cost, not the service's. wrk (C) measures
 * throughput; this measures one request at a time, interleaved with the raw query per tile.
 * Refuses what it does not read (chunked bodies, overlapping requests) rather than mismeasure it.
 */
export class LeanHttpClient {
  private socket: net.Socket | null = null;
  private pending: { resolve: (r: { status: number; bytes: number }) => void; reject: (e: Error) => void; buf: Buffer } | null = null;

  constructor(private readonly base: string) {}

  private async connect(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const { hostname, port } = new URL(this.base);
    const socket = net.connect(Number(port), hostname);
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
    this.socket = socket;
    return socket;
  }

  private fail(err: Error): void {
    const p = this.pending;
    this.pending = null;
    this.socket = null;
    p?.reject(err);
  }

  private read(chunk: Buffer): void {
    const p = this.pending;
    if (!p) return this.fail(new Error('bytes with no request outstanding'));
    p.buf = p.buf.length ? Buffer.concat([p.buf, chunk]) : chunk;
    const end = p.buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = p.buf.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    if (/\r\ntransfer-encoding:/i.test(head)) return this.fail(new Error('chunked response: not measured by this client'));
    const length = status === 204 || status === 304 ? 0 : Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
    if (!Number.isFinite(length)) return this.fail(new Error(`no Content-Length in ${head.split('\r\n')[0]}`));
    if (p.buf.length < end + 4 + length) return;
    if (p.buf.length > end + 4 + length) return this.fail(new Error('more bytes than the response'));
    this.pending = null;
    p.resolve({ status, bytes: length });
  }

  async get(path: string): Promise<{ status: number; bytes: number }> {
    if (this.pending) throw new Error('LeanHttpClient: one request at a time');
    const socket = await this.connect();
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, buf: Buffer.alloc(0) };
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${new URL(this.base).host}\r\n\r\n`);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }
}
