/**
 * autocannon in its own process, so the load generator does not share the server's event loop.
 * argv: baseUrl connections seconds pathsFile [gzip] → prints autocannon's result as JSON.
 * With "gzip" every request sends Accept-Encoding as a browser does (MapLibre's fetches do).
 */
import fs from 'node:fs';
import autocannon from 'autocannon';

const [base, connections, seconds, pathsFile, encoding] = process.argv.slice(2);
const paths = JSON.parse(fs.readFileSync(pathsFile, 'utf8')) as string[];
let i = 0;
const result = await autocannon({
  url: base,
  connections: Number(connections),
  duration: Number(seconds),
  headers: encoding === 'gzip' ? { 'accept-encoding': 'gzip, deflate, br' } : {},
  requests: [{ setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] }) }],
});
console.log(
  JSON.stringify({
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    mbPerSecond: result.throughput.average / 1e6,
    errors: result.errors + result.non2xx,
  }),
);
