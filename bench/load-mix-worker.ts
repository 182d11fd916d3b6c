/**
 * The load generator of bench/load.ts, in its own process so it never shares the server's event
 * loop. argv: specFile [onlyClass] → prints one JSON line per run: per class, requests, rate,
 * latency p50/p99 and the count of every status code (and socket errors/timeouts).
 *
 * spec: { base, seconds, classes: [{ name, connections, requests: [{ method, path, headers, body? (base64) }] }] }
 * Each class is one autocannon instance cycling through its requests; all classes run at once.
 */
import fs from 'node:fs';
import autocannon from 'autocannon';

interface SpecRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}
interface Spec {
  base: string;
  seconds: number;
  classes: Array<{ name: string; connections: number; requests: SpecRequest[] }>;
}

const [specFile, only] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(specFile, 'utf8')) as Spec;
const classes = spec.classes.filter((c) => !only || c.name === only);

const runs = classes.map((c) => {
  const requests = c.requests.map((r) => ({ ...r, body: r.body === undefined ? undefined : Buffer.from(r.body, 'base64') }));
  let i = 0;
  const statuses: Record<string, number> = {};
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.base,
        connections: c.connections,
        duration: spec.seconds,
        timeout: 60,
        requests: [
          {
            setupRequest: (req) => {
              const r = requests[i++ % requests.length];
              return { ...req, method: r.method, path: r.path, headers: r.headers, body: r.body };
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        resolve({
          name: c.name,
          connections: c.connections,
          requests: result.requests.total,
          rps: result.requests.average,
          p50: result.latency.p50,
          p99: result.latency.p99,
          max: result.latency.max,
          statuses,
          socketErrors: result.errors,
          timeouts: result.timeouts,
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    });
  });
});
console.log(JSON.stringify(await Promise.all(runs)));
