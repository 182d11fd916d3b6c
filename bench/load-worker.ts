/**
 * autocannon in its own process, so the load generator does not share the server's event loop.
 * argv: baseUrl connections seconds pathsFile → prints autocannon's result as JSON.
 */
import fs from 'node:fs';
import autocannon from 'autocannon';

const [base, connections, seconds, pathsFile] = process.argv.slice(2);
const paths = JSON.parse(fs.readFileSync(pathsFile, 'utf8')) as string[];
let i = 0;
const result = await autocannon({
  url: base,
  connections: Number(connections),
  duration: Number(seconds),
  requests: [{ setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] }) }],
});
console.log(JSON.stringify({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx }));
