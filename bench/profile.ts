/**
 * npm run bench:profile: the gateway under load with `node --cpu-prof`, and where its CPU time went.
 *
 * Starts the bench upstream, a simulator and the built gateway (sidecar defaults, RATE_LIMIT_RPS=0;
 * with PROFILE_REDIS=on, REDIS_URL or a private redis-server too) with --cpu-prof, loads one call
 * (PROFILE_CALL: list, get or create; PROFILE_SEC, default 8; PROFILE_CONNECTIONS, default 16), stops
 * the gateway so it writes its profile, and prints the self time by function and the inclusive
 * time by package or source file. The .cpuprofile is kept in bench/results/ for a closer look
 * (Chrome DevTools, or speedscope).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startZohoSimulator } from '../src/simulator/zoho-simulator';
import { CALLS } from './run';
import { measure } from './load';
import { findRedisServer, startGateway, startNodeService, startPrivateRedis } from './services';

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** node_modules/<package>, src/<file>, node:<module>, or the VM's own entries ((garbage collector), ...). */
function placeOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/dist\/(.+?)\.js$/.exec(url);
  if (own) return own[1]!;
  if (url.startsWith('node:')) return url;
  return url;
}

export function summarize(profile: CpuProfile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const selfByPlace = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      return;
    }
    total += dt;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${placeOf(url, functionName)}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    const place = placeOf(url, functionName);
    selfByPlace.set(place, (selfByPlace.get(place) ?? 0) + dt);
    // Inclusive: each place once per sample, however deep it recurses.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (frame.functionName === '(root)') continue;
      const place = placeOf(frame.url, frame.functionName);
      if (seen.has(place)) continue;
      seen.add(place);
      inclusive.set(place, (inclusive.get(place) ?? 0) + dt);
    }
  });
  const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const lines = [`busy ${(total / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s`, '', 'self time by function:'];
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${key}`);
  lines.push('', 'self time by package / source file:');
  for (const [key, us] of [...selfByPlace].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${key}`);
  lines.push('', 'inclusive time by package / source file:');
  for (const [key, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${key}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const call = (process.env.PROFILE_CALL ?? 'list') as keyof typeof CALLS;
  if (!(call in CALLS)) throw new Error('PROFILE_CALL must be list, get or create');
  const seconds = Number(process.env.PROFILE_SEC ?? 8);
  const connections = Number(process.env.PROFILE_CONNECTIONS ?? 16);
  const entry = process.env.PROFILE_ENTRY ?? path.join(DIST, 'src', 'main.js');
  const work = mkdtempSync(path.join(os.tmpdir(), 'zvgw-profile-'));
  const stops: Array<() => Promise<void>> = [];
  try {
    const upstream = await startNodeService(path.join(DIST, 'bench', 'upstream.js'), {});
    stops.push(upstream.stop);
    const sim = await startZohoSimulator({ port: 0 });
    stops.push(() => sim.close());
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      ZOHO_CLIENT_ID: 'sim-client-id',
      ZOHO_CLIENT_SECRET: 'sim-client-secret',
      ZOHO_REFRESH_TOKEN: 'sim-refresh-token',
      ZOHO_ACCOUNTS_URL: sim.url,
      ZOHO_VOICE_URL: upstream.url,
      RATE_LIMIT_RPS: '0',
    };
    if (['on', 'true', '1'].includes(process.env.PROFILE_REDIS ?? '')) {
      let url = process.env.REDIS_URL;
      if (!url) {
        const binary = findRedisServer();
        if (!binary) throw new Error('PROFILE_REDIS=on needs REDIS_URL or a redis-server binary');
        const redis = await startPrivateRedis(binary);
        stops.push(redis.stop);
        url = redis.url;
      }
      Object.assign(env, { REDIS_URL: url, TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex'), REDIS_KEY_PREFIX: `zvgw-profile-${randomBytes(4).toString('hex')}:` });
    }
    const profileDir = path.join(work, 'profile');
    const gateway = await startGateway(entry, env, path.join(work, 'gateway.log'), ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
    const spec = CALLS[call];
    process.stdout.write(`profiling ${call} for ${seconds} s at ${connections} connections\n`);
    const result = await measure({
      url: gateway.url + spec.path,
      method: spec.method,
      headers: 'headers' in spec ? { ...spec.headers } : undefined,
      body: 'body' in spec ? spec.body : undefined,
      connections,
      warmupSec: 1,
      durationSec: seconds,
    });
    await gateway.stop();
    process.stdout.write(`${result.rps} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms (${result.non2xx} non-2xx)\n\n`);
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('the gateway wrote no profile');
    const profile = JSON.parse(readFileSync(path.join(profileDir, file), 'utf8')) as CpuProfile;
    process.stdout.write(`${summarize(profile)}\n`);
    const keep = path.join(ROOT, 'bench', 'results', `profile-${call}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
    mkdirSync(path.dirname(keep), { recursive: true });
    renameSync(path.join(profileDir, file), keep);
    process.stdout.write(`\nprofile kept as ${path.relative(ROOT, keep)}\n`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`profile failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
