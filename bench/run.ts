/**
 * npm run bench: what one hop through the gateway costs, side by side with the floors, in one run
 * with one load generator on loopback.
 *
 * Starts a static upstream with the seed's shapes (./upstream), a bare node:http passthrough
 * proxy (./passthrough), nginx when installed (./nginx), and the gateway from the build in its
 * own process, with the configuration a production sidecar has (a simulator serves the token
 * call). Then, for the 50-contact list, a single get and a create, measures each target with
 * the same autocannon load in its own process: req/s, p50, p99 at BENCH_CONNECTIONS, p50/p99 at
 * one connection, CPU per request, the gateway's peak RSS, Redis commands and token calls per
 * 10,000 requests. Prints a table and writes bench/results/<timestamp>.json.
 *
 * Options (environment): BENCH_DURATION_SEC (5), BENCH_WARMUP_SEC (1), BENCH_LATENCY_SEC (3),
 * BENCH_CONNECTIONS (16), BENCH_RUNS (1; with more, every figure is the median of the runs),
 * BENCH_CALLS (list,get,create), BENCH_WORKERS (on: also the gateway with WORKERS=0),
 * BENCH_RATE_LIMIT (off: on adds a gateway whose rate limiter runs on every call, in Redis),
 * BENCH_NGINX (on), BENCH_REDIS (on: also the gateway with Redis; REDIS_URL to use yours instead
 * of a private redis-server), BENCH_COMPARE ("label=/path/to/dist/src/main.js,..." other builds of
 * the gateway, measured beside this one: before/after an optimization).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startZohoSimulator, type ZohoSimulator } from '../src/simulator/zoho-simulator';
import { GET_CONTACT_ID, PAGE_SIZE } from './answers';
import type { LoadResult, LoadSpec } from './load';
import { findNginx, startNginx } from './nginx';
import { formatReport, median, ratios, type BenchReport, type CallFigures, type Figures, type TargetInfo } from './report';
import { cpuTicks, findRedisServer, freePort, peakRssMb, processTree, redisCommandCalls, startGateway, startNodeService, startPrivateRedis, TICKS_PER_SECOND } from './services';

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');

export const CALLS = {
  list: { method: 'GET', path: `/rest/json/zv/contacts?from=0&size=${PAGE_SIZE}`, label: `list (${PAGE_SIZE} contacts)` },
  get: { method: 'GET', path: `/rest/json/zv/contacts/${GET_CONTACT_ID}`, label: `get (id ${GET_CONTACT_ID})` },
  create: {
    method: 'POST',
    path: '/rest/json/zv/contacts',
    label: 'create',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ first_name: 'Bench', last_name: 'Mark', mobile: '+12015550123', email: 'bench@example.com' }),
  },
} as const;
type CallName = keyof typeof CALLS;

/** What the gateway must answer for each call: the normalized id, exact. */
const GATEWAY_EXPECTS: Record<CallName, string[]> = {
  list: ['"contact_id":"347000014281004"', '"contact_owner":{"id":"347000000003015","display_value":"Vignesh"}', '"contact_id":"4000000000000000042"'],
  get: [`"contact_id":"${GET_CONTACT_ID}"`, '"contact_owner":{"id":"415005010526109","display_value":null}'],
  create: ['"contact_id":"4000000000000000042"'],
};

interface Options {
  durationSec: number;
  warmupSec: number;
  latencySec: number;
  connections: number;
  runs: number;
  calls: CallName[];
  workers: boolean;
  /** Also a gateway with the per-caller rate limit on (and its buckets in Redis when there is one). */
  rateLimit: boolean;
  nginx: boolean;
  redis: boolean;
  redisUrl?: string;
  /** Other builds of the gateway to measure beside this one. */
  compare: Array<{ label: string; entry: string }>;
}

function options(env: NodeJS.ProcessEnv): Options {
  const num = (name: string, fallback: number, min: number, max: number): number => {
    const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
    if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name} must be a number from ${min} to ${max}`);
    return value;
  };
  const on = (name: string) => !['0', 'false', 'off', 'no'].includes((env[name] ?? 'on').toLowerCase());
  const calls = (env.BENCH_CALLS ?? 'list,get,create').split(',').map((c) => c.trim()) as CallName[];
  for (const call of calls) if (!(call in CALLS)) throw new Error(`BENCH_CALLS: unknown call ${call} (list, get, create)`);
  return {
    // Bounded on purpose: the whole run stays a few minutes.
    durationSec: num('BENCH_DURATION_SEC', 5, 1, 60),
    warmupSec: num('BENCH_WARMUP_SEC', 1, 0, 30),
    latencySec: num('BENCH_LATENCY_SEC', 3, 1, 60),
    connections: num('BENCH_CONNECTIONS', 16, 1, 512),
    runs: num('BENCH_RUNS', 1, 1, 9),
    calls,
    workers: on('BENCH_WORKERS'),
    rateLimit: ['1', 'true', 'on', 'yes'].includes((env.BENCH_RATE_LIMIT ?? 'off').toLowerCase()),
    nginx: on('BENCH_NGINX'),
    redis: on('BENCH_REDIS'),
    redisUrl: env.REDIS_URL || undefined,
    compare: (env.BENCH_COMPARE ?? '')
      .split(',')
      .filter((item) => item.trim() !== '')
      .map((item) => {
        const at = item.indexOf('=');
        if (at < 1) throw new Error('BENCH_COMPARE: expected label=/path/to/main.js[,...]');
        return { label: item.slice(0, at).trim(), entry: path.resolve(item.slice(at + 1).trim()) };
      }),
  };
}

interface Target {
  info: TargetInfo;
  url: string;
  /** Every process serving this target (CPU, RSS). */
  pids(): number[];
  /** The gateway's own Redis (command counts) and simulator (token calls). */
  redisUrl?: string;
  sim?: ZohoSimulator;
  logFile?: string;
}

async function main(): Promise<void> {
  const opts = options(process.env);
  const entry = path.join(DIST, 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: npm run bench builds it first (npm run build)`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'zvgw-bench-'));
  const stops: Array<() => Promise<void>> = [];
  const notes: string[] = [];
  const loadBefore = os.loadavg();
  const startedAt = new Date();

  try {
    process.stdout.write(`bench: starting services (work dir ${work})\n`);
    const upstream = await startNodeService(path.join(DIST, 'bench', 'upstream.js'), {});
    stops.push(upstream.stop);
    const targets: Target[] = [{ info: { name: 'direct', kind: 'direct', description: 'straight to the static upstream' }, url: upstream.url, pids: () => [upstream.pid] }];

    const passthrough = await startNodeService(path.join(DIST, 'bench', 'passthrough.js'), { BENCH_UPSTREAM_URL: upstream.url });
    stops.push(passthrough.stop);
    targets.push({ info: { name: 'passthrough', kind: 'passthrough', description: 'bare node:http keep-alive proxy, no features' }, url: passthrough.url, pids: () => [passthrough.pid] });

    const nginxBinary = opts.nginx ? findNginx() : undefined;
    if (nginxBinary) {
      const nginx = await startNginx(nginxBinary, upstream.url, path.join(work, 'nginx'), await freePort());
      stops.push(nginx.stop);
      targets.push({ info: { name: 'nginx', kind: 'nginx', description: `${nginxVersion(nginxBinary)}, 1 worker, keep-alive upstream, no access log` }, url: nginx.url, pids: () => processTree(nginx.pid) });
    } else {
      notes.push(opts.nginx ? 'nginx skipped: no nginx binary found (Debian: apt-get install nginx-light)' : 'nginx skipped: BENCH_NGINX=off');
    }

    // The gateway as a production sidecar runs it, with the image's NODE_OPTIONS. RATE_LIMIT_RPS=0:
    // in sidecar mode every call shares one bucket (default 50/s), which would throttle the load.
    const nodeOptions = imageNodeOptions();
    const sidecarEnv: Record<string, string> = { NODE_ENV: 'production', ZOHO_VOICE_URL: upstream.url, RATE_LIMIT_RPS: '0', ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) };
    notes.push('gateway: sidecar defaults (no callers file, audit lines on stdout to a file) with RATE_LIMIT_RPS=0, since the one sidecar bucket (default 50/s) would throttle the load');
    notes.push(nodeOptions ? `gateway: NODE_OPTIONS=${nodeOptions} as the Dockerfile sets it` : 'gateway: no NODE_OPTIONS in the Dockerfile; Node defaults');
    const redisServer = opts.redis && !opts.redisUrl ? findRedisServer() : undefined;
    const redisFor = async (): Promise<string | undefined> => {
      if (opts.redisUrl) return opts.redisUrl;
      if (!redisServer) return undefined;
      const redis = await startPrivateRedis(redisServer);
      stops.push(redis.stop);
      return redis.url;
    };
    if (opts.redisUrl) notes.push('Redis: REDIS_URL given; its command counts include any other client of that server');

    const addGateway = async (name: string, description: string, env: Record<string, string>, gatewayEntry = entry, redisUse?: string): Promise<void> => {
      const sim = await startZohoSimulator({ port: 0 });
      stops.push(() => sim.close());
      const logFile = path.join(work, `${name.replace(/[^a-z0-9]+/gi, '-')}.log`);
      const gateway = await startGateway(gatewayEntry, { ...simEnv(sim.url), ...sidecarEnv, ...env }, logFile);
      stops.push(gateway.stop);
      targets.push({ info: { name, kind: 'gateway', description, redisUse }, url: gateway.url, pids: () => processTree(gateway.pid), redisUrl: env.REDIS_URL, sim, logFile });
    };
    await addGateway('gateway', 'single process, memory token store', {});
    for (const other of opts.compare) await addGateway(other.label, `${other.entry}, single process, memory token store`, {}, other.entry);
    if (opts.redis) {
      const redisUrl = await redisFor();
      if (redisUrl) await addGateway('gateway+redis', 'single process, REDIS_URL + TOKEN_ENCRYPTION_KEY', redisEnv(redisUrl));
      else notes.push('gateway+redis skipped: no REDIS_URL and no redis-server binary');
    }
    if (opts.rateLimit) {
      const redisUrl = opts.redis ? await redisFor() : undefined;
      // A limit far above the load: the limiter runs on every call but never refuses one.
      await addGateway(
        'gateway+rate limit',
        `single process, RATE_LIMIT_RPS=100000${redisUrl ? ', buckets in Redis' : ', buckets in memory'}`,
        { ...(redisUrl ? redisEnv(redisUrl) : {}), RATE_LIMIT_RPS: '100000', RATE_LIMIT_BURST: '100000' },
        entry,
        "the rate limiter's leases: per caller and second, not per request",
      );
    }
    if (opts.workers) {
      const redisUrl = opts.redis ? await redisFor() : undefined;
      const workers = os.availableParallelism();
      await addGateway(
        'gateway WORKERS=0',
        `node:cluster, ${workers} workers${redisUrl ? ', sharing the token through Redis' : ', each minting its own token (no Redis)'}`,
        { WORKERS: '0', ...(redisUrl ? redisEnv(redisUrl) : {}) },
      );
    }

    for (const target of targets) for (const call of opts.calls) await checkAnswer(target, call);

    const runs: Array<Record<string, Record<string, Figures>>> = [];
    for (let run = 1; run <= opts.runs; run++) {
      const figures: Record<string, Record<string, Figures>> = {};
      for (const call of opts.calls) {
        figures[call] = {};
        for (const target of targets) {
          process.stdout.write(`bench: run ${run}/${opts.runs} ${call} ${target.info.name} (${opts.connections} connections)\n`);
          figures[call]![target.info.name] = await measureTarget(target, call, opts, opts.connections, opts.durationSec);
        }
        for (const target of targets) {
          process.stdout.write(`bench: run ${run}/${opts.runs} ${call} ${target.info.name} (1 connection)\n`);
          const single = await measureTarget(target, call, opts, 1, opts.latencySec);
          const figure = figures[call]![target.info.name]!;
          figure.latency1 = { p50: single.p50, p99: single.p99, rps: single.rps };
        }
      }
      runs.push(figures);
    }

    const rss: Record<string, { peakMb: number; perProcessMb: number[] }> = {};
    for (const target of targets) {
      if (target.info.kind !== 'gateway') continue;
      const perProcess = peakRssMb(target.pids());
      rss[target.info.name] = { peakMb: Math.round(perProcess.reduce((a, b) => a + b, 0) * 10) / 10, perProcessMb: perProcess };
    }

    const calls: Record<string, CallFigures> = {};
    for (const call of opts.calls) {
      const byTarget: Record<string, Figures> = {};
      for (const target of targets) byTarget[target.info.name] = median(runs.map((r) => r[call]![target.info.name]!));
      calls[call] = { label: CALLS[call].label, method: CALLS[call].method, path: CALLS[call].path, targets: byTarget, perRun: runs.map((r) => r[call]!) };
    }

    const report: BenchReport = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: machine(nginxBinary),
      load: { before: loadBefore.map(round2), after: os.loadavg().map(round2) },
      options: { ...opts, redisUrl: opts.redisUrl ? '(given)' : undefined },
      notes,
      targets: targets.map((t) => t.info),
      calls,
      ratios: Object.fromEntries(
        Object.entries(calls).map(([call, figures]) => [call, Object.fromEntries(targets.filter((t) => t.info.kind === 'gateway').map((t) => [t.info.name, ratios(figures, t.info.name)]))]),
      ),
      rss,
    };
    const resultsDir = path.join(ROOT, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`\n${formatReport(report)}\nfigures written to ${path.relative(ROOT, file)}\n`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

/** NODE_OPTIONS as the Dockerfile's runtime stage sets them, so the bench runs what the image runs. */
function imageNodeOptions(): string | undefined {
  try {
    return /NODE_OPTIONS="([^"]*)"/.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))?.[1] || undefined;
  } catch {
    return undefined;
  }
}

function simEnv(simUrl: string): Record<string, string> {
  return { ZOHO_CLIENT_ID: 'sim-client-id', ZOHO_CLIENT_SECRET: 'sim-client-secret', ZOHO_REFRESH_TOKEN: 'sim-refresh-token', ZOHO_ACCOUNTS_URL: simUrl };
}

function redisEnv(url: string): Record<string, string> {
  return { REDIS_URL: url, TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex'), REDIS_KEY_PREFIX: `zvgw-bench-${randomBytes(4).toString('hex')}:` };
}

/** One request before any load: the target answers 200, and a gateway with the exact normalized id. */
async function checkAnswer(target: Target, call: CallName): Promise<void> {
  const spec = CALLS[call];
  const { status, body } = await request(target.url + spec.path, spec.method, 'headers' in spec ? spec.headers : {}, 'body' in spec ? spec.body : undefined);
  if (status !== 200) throw new Error(`${target.info.name} ${call}: HTTP ${status} ${body.slice(0, 300)}`);
  const missing = target.info.kind === 'gateway' ? GATEWAY_EXPECTS[call].find((part) => !body.includes(part)) : undefined;
  if (missing) throw new Error(`${target.info.name} ${call}: the answer lacks ${missing}: ${body.slice(0, 300)}`);
}

function request(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function measureTarget(target: Target, call: CallName, opts: Options, connections: number, durationSec: number): Promise<Figures> {
  const spec = CALLS[call];
  const load: LoadSpec = {
    url: target.url + spec.path,
    method: spec.method,
    headers: 'headers' in spec ? { ...spec.headers } : undefined,
    body: 'body' in spec ? spec.body : undefined,
    connections,
    warmupSec: connections === 1 ? Math.min(opts.warmupSec, 1) : opts.warmupSec,
    durationSec,
  };
  const pids = target.pids();
  const ticksBefore = cpuTicks(pids);
  const redisBefore = target.redisUrl ? await redisCommandCalls(target.redisUrl) : undefined;
  const tokensBefore = target.sim?.tokenCalls();
  const result = await runLoad(load);
  const ticks = ticksBefore === undefined ? undefined : (cpuTicks(pids) ?? ticksBefore) - ticksBefore;
  const redisAfter = target.redisUrl ? await redisCommandCalls(target.redisUrl) : undefined;
  const tokens = target.sim ? target.sim.tokenCalls() - tokensBefore! : undefined;
  if (target.logFile) truncateSync(target.logFile, 0); // audit lines: keep the disk use bounded
  const sent = result.requests + result.warmupRequests;
  const per10k = (n: number) => Math.round((n / Math.max(1, sent)) * 10_000 * 100) / 100;
  return {
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    requests: result.requests,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuUsPerRequest: ticks === undefined ? undefined : Math.round(((ticks / TICKS_PER_SECOND) * 1e6) / Math.max(1, sent)),
    redisCommandsPer10k: redisBefore === undefined ? undefined : per10k(redisAfter! - redisBefore),
    tokenCallsPer10k: tokens === undefined ? undefined : per10k(tokens),
  };
}

/** autocannon in its own process (./load), so it competes with the target only for the CPU. */
function runLoad(spec: LoadSpec): Promise<LoadResult & { warmupRequests: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(DIST, 'bench', 'load.js')], {
      env: { PATH: process.env.PATH ?? '', BENCH_LOAD: JSON.stringify(spec) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as LoadResult & { warmupRequests: number });
    });
  });
}

function machine(nginxBinary: string | undefined): BenchReport['machine'] {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    // not Linux
  }
  return {
    cpus: os.availableParallelism(),
    cpuModel,
    memoryMb: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    nginx: nginxBinary ? nginxVersion(nginxBinary) : undefined,
  };
}

function nginxVersion(binary: string): string {
  const out = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  return /nginx\/[\d.]+/.exec(`${out.stderr}${out.stdout}`)?.[0] ?? 'nginx';
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
