/**
 * At most N uploads read, parse and stage at once (the rest wait their turn): each holds a parsed
 * GeoJSON (~5.5 MB of heap per MiB), a GeoPackage in sql.js memory or a KML worker of up to 256 MB,
 * so without a bound a few concurrent editors could exhaust the process (found by a security
 * review). The body is received first, so a waiting upload holds only its temp file.
 */
import type { FastifyInstance } from 'fastify';

export const MAX_CONCURRENT_INGESTS = 2;

export class IngestSlots {
  active = 0;
  /** the most that ran at once (tests) */
  peak = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly max = MAX_CONCURRENT_INGESTS) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    this.peak = Math.max(this.peak, this.active);
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes on: active stays
      else this.active--;
    }
  }
}

const byDb = new WeakMap<object, IngestSlots>();
/** the app's slots — keyed by its database handle, which its plugin contexts share (they are other instances) */
export function ingestSlots(app: FastifyInstance): IngestSlots {
  let s = byDb.get(app.db);
  if (!s) byDb.set(app.db, (s = new IngestSlots()));
  return s;
}
