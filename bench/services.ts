/**
 * Processes the bench starts and what it reads about them: URLs, CPU time and peak memory from
 * /proc (Linux; elsewhere those figures are left out), a private Redis and its command counts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

export interface Service {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A free loopback port (the kernel's choice, released right away). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function stopper(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): () => Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
}

/** Runs one of the bench's own node scripts, which prints {"url": ...} once it listens. */
export async function startNodeService(script: string, env: Record<string, string>): Promise<Service> {
  const child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`${path.basename(script)} exited with ${code} before listening`)));
  });
  return { url, pid: child.pid!, child, stop: stopper(child) };
}

/**
 * Runs the gateway as a deployment would: its own process, the real entry point, its logs and
 * audit lines going to a file (as a container runtime keeps stdout). Resolves once /readyz says
 * READY, that is once it holds an access token.
 */
export async function startGateway(entry: string, env: Record<string, string>, logFile: string, nodeArgs: string[] = []): Promise<Service> {
  const port = await freePort();
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    env: { PATH: process.env.PATH ?? '', ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode} before it was ready; see ${logFile}`);
    const status = await get(`${url}/readyz`).catch(() => 0);
    if (status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gateway not ready after 30 s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, pid: child.pid!, child, stop: stopper(child) };
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.setTimeout(2000, () => req.destroy(new Error('timeout')));
  });
}

// ---- /proc ----

/** The process and all its descendants (nginx's worker, the gateway's cluster workers). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [root];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const all: number[] = [];
  const visit = (pid: number) => {
    all.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return all;
}

/** User + system CPU time of the processes, in clock ticks (1/100 s on Linux); undefined without /proc. */
export function cpuTicks(pids: number[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += Number(fields[11]) + Number(fields[12]);
    } catch {
      return undefined;
    }
  }
  return total;
}

export const TICKS_PER_SECOND = 100;

/** Peak resident set size (VmHWM) per process, in MB. */
export function peakRssMb(pids: number[]): number[] {
  const peaks: number[] = [];
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]);
      if (Number.isFinite(kb)) peaks.push(Math.round((kb / 1024) * 10) / 10);
    } catch {
      // gone
    }
  }
  return peaks;
}

// ---- Redis ----

/** The redis-server binary on PATH, or undefined. */
export function findRedisServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, 'redis-server');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A private redis-server on a free loopback port, so its command counts are the gateway's alone. */
export async function startPrivateRedis(binary: string): Promise<Service> {
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    try {
      await redisCommandCalls(`redis://127.0.0.1:${port}`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error('redis-server did not answer');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid!, child, stop: stopper(child) };
}

/**
 * Commands Redis has run so far, all kinds summed from INFO commandstats, less the INFO calls
 * that read them. One short RESP exchange on a fresh socket: no client library state to skew it.
 */
export function redisCommandCalls(url: string): Promise<number> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(target.port || 6379), target.hostname);
    let text = '';
    const timer = setTimeout(() => socket.destroy(new Error('timeout')), 3000);
    socket.on('connect', () => {
      const auth = target.password ? `AUTH ${decodeURIComponent(target.password)}\r\n` : '';
      socket.write(`${auth}INFO commandstats\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const bulk = /\$(\d+)\r\n/.exec(text);
      if (bulk && Buffer.byteLength(text.slice(bulk.index + bulk[0].length)) >= Number(bulk[1])) {
        clearTimeout(timer);
        socket.end();
        let calls = 0;
        for (const m of text.matchAll(/^cmdstat_([a-z|_-]+):calls=(\d+)/gm)) {
          if (m[1] !== 'info' && m[1] !== 'auth') calls += Number(m[2]);
        }
        resolve(calls);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
