/**
 * A concurrent HTTP load over a list of paths, from another process so the generator does not share
 * the server's event loop. wrk (apt `wrk`, C, one thread) when it is on the PATH, else autocannon
 * (bench/load-worker.ts). autocannon's JavaScript client is the bottleneck for large binary bodies:
 * on a 172 KB tile it saturated a core at ~1,000 responses/s against a bare node:http server that
 * wrk drove at ~17,000/s — so with autocannon a cached-tile figure measures the client, not the server.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export interface LoadResult {
  tool: 'wrk' | 'autocannon';
  rps: number;
  p50: number;
  p99: number;
  mbPerSecond: number;
  errors: number;
}

function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 after printing its banner
    return (err as { status?: number }).status === 1;
  }
}

/** "1.23ms" / "850.00us" / "2.01s" → ms */
function wrkMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return NaN;
  return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 } as Record<string, number>)[m[2]];
}

export async function httpLoad(base: string, paths: string[], options: { connections: number; seconds: number; gzip?: boolean }): Promise<LoadResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-load-'));
  try {
    if (!hasWrk()) {
      const file = path.join(dir, 'paths.json');
      fs.writeFileSync(file, JSON.stringify(paths));
      const args = ['--import', 'tsx', 'bench/load-worker.ts', base, String(options.connections), String(options.seconds), file, options.gzip ? 'gzip' : 'identity'];
      const r = JSON.parse((await promisify(execFile)(process.execPath, args)).stdout) as Omit<LoadResult, 'tool'>;
      return { tool: 'autocannon', ...r };
    }
    // wrk takes the paths round-robin from a Lua script, and counts non-2xx answers (204 is a 2xx).
    const script = path.join(dir, 'paths.lua');
    fs.writeFileSync(
      script,
      `local paths = {${paths.map((p) => JSON.stringify(p)).join(',')}}
local i = 0
${options.gzip ? 'wrk.headers["Accept-Encoding"] = "gzip, deflate, br"' : ''}
request = function() i = i % #paths + 1; return wrk.format("GET", paths[i]) end
`,
    );
    const { stdout } = await promisify(execFile)('wrk', ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency', '-s', script, base]);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
    const transfer = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/.exec(stdout);
    const mb = transfer ? Number(transfer[1]) * ({ B: 1e-6, KB: 1e-3, MB: 1, GB: 1e3 } as Record<string, number>)[transfer[2]] : NaN;
    const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
    const errors = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0) + (socket ? socket.slice(1).reduce((a, n) => a + Number(n), 0) : 0);
    return { tool: 'wrk', rps, p50: wrkMs(/50%\s+(\S+)/.exec(stdout)?.[1] ?? ''), p99: wrkMs(/99%\s+(\S+)/.exec(stdout)?.[1] ?? ''), mbPerSecond: mb, errors };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
