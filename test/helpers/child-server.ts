/**
 * The real server (`node --import tsx server/main.ts`) as a child process on a free loopback port, for
 * tests and benchmarks that need real sockets, signals, a kill or two instances. Resolves once the server
 * logs where it listens; rejects with its output if it exits or takes too long first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { ROOT } from './templates.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export type ExitStatus = number | NodeJS.Signals | null;

export interface ChildServer {
  child: ChildProcess;
  port: number;
  /** http://127.0.0.1:port */
  base: string;
  /** what it has printed so far (stdout and stderr; the last `keepChars` characters) */
  output(): string;
  /** the exit code, or the signal that ended it */
  exited: Promise<ExitStatus>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves like `exited` */
  stop(graceMs?: number): Promise<ExitStatus>;
}

export interface ChildServerOptions {
  /** over process.env; PORT and HOST are set here */
  env: Record<string, string>;
  /** node flags before `--import tsx` (e.g. --cpu-prof) */
  nodeArgs?: string[];
  readyTimeoutMs?: number;
  /** bound on the kept output (a long benchmark logs a lot) */
  keepChars?: number;
}

export async function startChildServer(options: ChildServerOptions): Promise<ChildServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = options.keepChars ?? Infinity;
  let out = '';
  const append = (d: Buffer) => {
    out += d.toString();
    if (out.length > keep) out = out.slice(-keep);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<ExitStatus>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const stop = async (graceMs = 15_000): Promise<ExitStatus> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      exited.finally(() => clearTimeout(timer));
    }
    return exited;
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  while (!out.includes('listening on')) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop(1_000);
      throw new Error(`server did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, port, base: `http://127.0.0.1:${port}`, output: () => out, exited, stop };
}
