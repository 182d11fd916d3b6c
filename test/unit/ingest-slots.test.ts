/** server/ingest/ingest-slots.ts: at most N ingests at once, the rest in arrival order (found by a security review: no bound) */
import { describe, expect, it } from 'vitest';
import { IngestSlots } from '../../server/ingest/ingest-slots.js';

describe('IngestSlots', () => {
  it('runs at most max at once, starts the waiting ones in arrival order, and passes on a slot when a run fails', async () => {
    const slots = new IngestSlots(2);
    const started: number[] = [];
    const release: (() => void)[] = [];
    const task = (i: number, fail = false) =>
      slots.run(async () => {
        started.push(i);
        expect(slots.active).toBeLessThanOrEqual(2);
        await new Promise<void>((r) => (release[i] = r));
        if (fail) throw new Error(`task ${i}`);
        return i;
      });
    const runs = [task(0), task(1, true), task(2), task(3)];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    release[1]();
    await expect(runs[1]).rejects.toThrow('task 1');
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    release[0]();
    await runs[0];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2, 3]);
    release[2]();
    release[3]();
    expect(await Promise.all([runs[2], runs[3]])).toEqual([2, 3]);
    expect([slots.active, slots.peak]).toEqual([0, 2]);
  });
});
