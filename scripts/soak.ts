/**
 * `npm run soak`: a bounded soak on loopback. Starts the Zoho simulator (in this process) and the
 * gateway (its real entry point, in a child process), sends some thousands of mixed calls from
 * concurrent callers while injecting faults, restarts the gateway gracefully once half way (when
 * Redis is available on loopback to keep idempotency records across the restart), and then counts
 * what the simulator created against what callers were told.
 *
 * Callers behave as the README tells them to: a create carries an Idempotency-Key; a 409, a
 * refused connection or an answer that says nothing ran (CIRCUIT_OPEN, SHUTTING_DOWN,
 * UPSTREAM_UNREACHABLE, TOKEN_*, 429, ...) is retried with the same key; an unknown outcome (502
 * UPSTREAM_OUTCOME_UNKNOWN, 504) is repeated once with the same key, which must replay it.
 *
 * Exits 1 when anything was lost or created twice, or the gateway crashed.
 *
 * Environment: SOAK_CALLS (3000), SOAK_CONCURRENCY (16), SOAK_SEED (random), SOAK_REDIS_URL
 * (redis://127.0.0.1:6379; "none" for none), SOAK_GATEWAY_LOG (a file for the gateway's log).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startZohoSimulator, type ContactsFaultKind, type HttpMethod, type ZohoSimulator } from '../src/simulator/zoho-simulator';

const ROOT = path.resolve(__dirname, '..');
const CALLS = Number(process.env.SOAK_CALLS ?? 3000);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 16);
const SEED = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const REDIS_URL = process.env.SOAK_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Append the gateway's (warn and above) log lines to this file. */
const GATEWAY_LOG = process.env.SOAK_GATEWAY_LOG;
const BASE = '/rest/json/zv/contacts';
/** How long a caller keeps retrying what is safe to retry. */
const GIVE_UP_MS = 30_000;
const TAG = 'soak-';
/** The gateway's settings under soak: short deadlines so stalls past them stay cheap. */
const GATEWAY_ENV = {
  HOST: '127.0.0.1',
  UPSTREAM_TIMEOUT_MS: '1500',
  RETRY_MAX_ATTEMPTS: '3',
  RETRY_BASE_DELAY_MS: '20',
  RETRY_MAX_DELAY_MS: '200',
  BREAKER_FAILURE_THRESHOLD: '8',
  BREAKER_COOLDOWN_MS: '300',
  SHUTDOWN_GRACE_MS: '8000',
  RATE_LIMIT_RPS: '0',
  LOG_LEVEL: 'warn',
};

/** Answers that mean "nothing ran": the same key may be sent again. */
const NOT_PERFORMED = new Set([
  'IDEMPOTENCY_IN_FLIGHT',
  'CIRCUIT_OPEN',
  'SHUTTING_DOWN',
  'UPSTREAM_UNREACHABLE',
  'UPSTREAM_TOKEN_REJECTED',
  'IDEMPOTENCY_UNAVAILABLE',
  'TOKEN_ENDPOINT_ERROR',
  'TOKEN_UNAVAILABLE',
  'TOKEN_RATE_LIMITED',
  'TOO_MANY_REQUESTS',
  'RATE_LIMITED',
]);

// ---------------------------------------------------------------------------------------------
// Deterministic randomness (mulberry32), so a run can be replayed with SOAK_SEED.
let state = SEED >>> 0;
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

// ---------------------------------------------------------------------------------------------
// The gateway in its own process; an exit we did not ask for is a crash, and it is restarted.
interface GatewayChild {
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}
const counts = { crashes: 0, restarts: 0, restartExitCodes: [] as Array<number | null> };
let gateway: GatewayChild;
let stopping = false;

async function startGateway(sim: ZohoSimulator, port: number, redisEnv: Record<string, string>): Promise<GatewayChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      ZOHO_CLIENT_ID: 'sim-client-id',
      ZOHO_CLIENT_SECRET: 'sim-client-secret',
      ZOHO_REFRESH_TOKEN: 'sim-refresh-token',
      ZOHO_ACCOUNTS_URL: sim.url,
      ZOHO_VOICE_URL: sim.url,
      PORT: String(port),
      ...GATEWAY_ENV,
      ...redisEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  if (GATEWAY_LOG) child.stdout!.pipe(createWriteStream(GATEWAY_LOG, { flags: 'a' }));
  else child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const g: GatewayChild = { url: `http://127.0.0.1:${port}`, child, exited };
  void exited.then((code) => {
    if (gateway !== g || stopping) return;
    counts.crashes += 1;
    process.stderr.write(`gateway exited unexpectedly (code ${code}); restarting\n${err.slice(-2000)}\n`);
    void startGateway(sim, port, redisEnv).then((next) => (gateway = next));
  });
  for (let i = 0; i < 300; i++) {
    if (await reachable(g.url)) return g;
    if (child.exitCode !== null) throw new Error(`gateway failed to start:\n${err}`);
    await sleep(50);
  }
  throw new Error('gateway did not start within 15 s');
}

function reachable(url: string): Promise<boolean> {
  return fetch(`${url}/healthz`).then(
    (r) => r.ok,
    () => false,
  );
}

async function restartGracefully(sim: ZohoSimulator, port: number, redisEnv: Record<string, string>): Promise<void> {
  const old = gateway;
  stopping = true;
  old.child.kill('SIGTERM');
  counts.restartExitCodes.push(await old.exited);
  stopping = false;
  gateway = await startGateway(sim, port, redisEnv);
  counts.restarts += 1;
}

// ---------------------------------------------------------------------------------------------
// Faults: before each call, sometimes queue one in the simulator.
const faults = { injected: 0, byKind: new Map<string, number>() };
const METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'DELETE'];
const CONTACT_FAULTS: Array<[ContactsFaultKind, number, number?]> = [
  ['http_502', 1],
  ['http_502', 3],
  ['http_503', 1],
  ['http_500', 1],
  ['http_429', 1],
  ['reset_before_response', 1],
  ['reset_on_connect', 1],
  ['stall', 1, 300],
  ['stall', 1, 3000], // past the 1.5 s deadline
  ['invalid_oauthtoken', 1],
  ['html_login', 1],
];

function maybeInjectFault(sim: ZohoSimulator): void {
  const roll = random();
  if (roll < 0.002) {
    // A burst long enough to open the breaker.
    sim.faults.contacts('http_502', 12);
    count('http_502 burst x12', 12);
  } else if (roll < 0.004) {
    sim.expireAllTokens();
    count('tokens expired', 1);
  } else if (roll < 0.006) {
    sim.faults.token('http_500', 1);
    count('token http_500', 1);
  } else if (roll < 0.1) {
    const [kind, times, ms] = pick(CONTACT_FAULTS);
    const method = random() < 0.5 ? 'POST' : pick(METHODS);
    sim.faults.contacts(kind, times, { method, ms });
    count(`${kind}${ms ? ` ${ms}ms` : ''}`, times);
  }
}

function count(kind: string, times: number): void {
  faults.injected += times;
  faults.byKind.set(kind, (faults.byKind.get(kind) ?? 0) + times);
}

// ---------------------------------------------------------------------------------------------
// Callers.
interface Answer {
  status: number;
  code?: string;
  contactId?: string;
  replayed: boolean;
  text: string;
  retryAfterSec?: number;
}
type Sent = Answer | { refused: true } | { noAnswer: string };
const http = { requests: 0, byStatus: new Map<string, number>() };

async function send(method: string, pathAndQuery: string, body?: object, key?: string): Promise<Sent> {
  const headers: Record<string, string> = {};
  if (body) headers['content-type'] = 'application/json';
  if (key) headers['idempotency-key'] = key;
  http.requests += 1;
  try {
    const res = await fetch(`${gateway.url}${pathAndQuery}`, { method, headers, body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    const json = safeJson(text);
    const answer: Answer = {
      status: res.status,
      code: typeof json?.code === 'string' && json.status === 'ERROR' ? json.code : undefined,
      contactId: typeof json?.contacts?.contact_id === 'string' ? json.contacts.contact_id : undefined,
      replayed: res.headers.get('idempotent-replayed') === 'true',
      text,
      retryAfterSec: res.headers.has('retry-after') ? Number(res.headers.get('retry-after')) : undefined,
    };
    // Zoho's own error answers pass through without the gateway's request_id.
    const from = answer.code && typeof json?.request_id !== 'string' ? ' (Zoho)' : '';
    tally(`${res.status}${answer.code ? ` ${answer.code}` : ''}${from}`);
    return answer;
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    tally(`no answer: ${code}`);
    return code === 'ECONNREFUSED' ? { refused: true } : { noAnswer: code };
  }
}

function tally(what: string): void {
  http.byStatus.set(what, (http.byStatus.get(what) ?? 0) + 1);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What one logical create ended as, from the caller's point of view. */
type CreateOutcome = { kind: 'acknowledged'; id: string } | { kind: 'not_created'; code: string } | { kind: 'unknown'; why: string };
const creates = new Map<string, { keyed: boolean; outcome: CreateOutcome }>();
const problems: string[] = [];

/**
 * Sends a keyed create until an answer that is not "try again": a refused connection, no answer
 * (the key makes a resend safe), or an error saying nothing ran. Undefined when it gives up.
 */
async function createUntilAnswered(contact: object, key: string): Promise<Answer | undefined> {
  // Bounded by time rather than tries: a gateway restart refuses connections for a few seconds.
  for (const giveUpAt = Date.now() + GIVE_UP_MS; Date.now() < giveUpAt; ) {
    const sent = await send('POST', BASE, contact, key);
    if ('refused' in sent || 'noAnswer' in sent) {
      await sleep(250);
      continue;
    }
    if ((sent.code && NOT_PERFORMED.has(sent.code)) || sent.status === 429) {
      await sleep(Math.min(1000, (sent.retryAfterSec ?? 0.1) * 1000));
      continue;
    }
    return sent;
  }
  return undefined;
}

/**
 * A create as a careful caller makes it: with a key, resending only what the README says is safe.
 * An unknown outcome is asked again with the same key, which must replay it; so, sometimes, is a
 * success (as if its answer had been lost).
 */
async function keyedCreate(tag: string, key: string): Promise<CreateOutcome> {
  const contact = { first_name: 'Soak', last_name: tag, mobile: '+12015550123' };
  const first = await createUntilAnswered(contact, key);
  if (!first) return { kind: 'not_created', code: 'gave up' };
  const acknowledged = first.status === 200 && first.contactId !== undefined;
  if (!acknowledged || random() < 0.15) {
    const repeat = await createUntilAnswered(contact, key);
    if (!repeat) problems.push(`${tag}: no answer within ${GIVE_UP_MS / 1000} s to a repeat`);
    else if (repeat.text !== first.text || !repeat.replayed) problems.push(`${tag}: a repeat of ${first.status} got ${repeat.status}${repeat.replayed ? '' : ' (not a replay)'}`);
  }
  return acknowledged ? { kind: 'acknowledged', id: first.contactId! } : { kind: 'unknown', why: first.code ?? String(first.status) };
}

/** A create without a key: retried only when the gateway was not reached at all. */
async function unkeyedCreate(tag: string): Promise<CreateOutcome> {
  const contact = { first_name: 'Soak', last_name: tag, mobile: '+12015550123' };
  // Bounded by time rather than tries: a gateway restart refuses connections for a few seconds.
  for (const giveUpAt = Date.now() + GIVE_UP_MS; Date.now() < giveUpAt; ) {
    const sent = await send('POST', BASE, contact);
    if ('refused' in sent) {
      await sleep(250);
      continue;
    }
    if ('noAnswer' in sent) return { kind: 'unknown', why: sent.noAnswer };
    if (sent.status === 200 && sent.contactId) return { kind: 'acknowledged', id: sent.contactId };
    if (sent.code && NOT_PERFORMED.has(sent.code)) return { kind: 'not_created', code: sent.code };
    if (sent.status === 429) return { kind: 'not_created', code: 'TOO_MANY_REQUESTS' };
    return { kind: 'unknown', why: sent.code ?? String(sent.status) };
  }
  return { kind: 'not_created', code: 'gave up' };
}

/** Reads, updates and deletes: idempotent, so any failure may simply be retried. */
async function idempotentCall(method: string, pathAndQuery: string, body?: object): Promise<void> {
  // Bounded by time rather than tries: a gateway restart refuses connections for a few seconds.
  for (const giveUpAt = Date.now() + GIVE_UP_MS; Date.now() < giveUpAt; ) {
    const sent = await send(method, pathAndQuery, body);
    if ('refused' in sent || 'noAnswer' in sent) {
      await sleep(250);
      continue;
    }
    if (sent.status < 500 && sent.status !== 429) return;
    await sleep(Math.min(1000, (sent.retryAfterSec ?? 0.05) * 1000));
  }
  problems.push(`${method} ${pathAndQuery}: no answer within ${GIVE_UP_MS / 1000} s`);
}

const SEEDED = ['9223372036854775807', '1234567890123456789', '9007199254740993', '347000014281004'];

async function oneCall(n: number): Promise<void> {
  const roll = random();
  const tag = `${TAG}${n}`;
  if (roll < 0.35) {
    creates.set(tag, { keyed: true, outcome: await keyedCreate(tag, randomUUID()) });
  } else if (roll < 0.45) {
    // Two copies of one create at the same moment (a client retrying too eagerly).
    const key = randomUUID();
    const [a, b] = await Promise.all([keyedCreate(tag, key), keyedCreate(tag, key)]);
    if (a.kind === 'acknowledged' && b.kind === 'acknowledged' && a.id !== b.id) problems.push(`${tag}: one key, two contact ids`);
    creates.set(tag, { keyed: true, outcome: a.kind === 'acknowledged' ? a : b });
  } else if (roll < 0.5) {
    creates.set(tag, { keyed: false, outcome: await unkeyedCreate(tag) });
  } else if (roll < 0.75) {
    await idempotentCall('GET', pick([`${BASE}?from=0&size=10`, `${BASE}/contact_status`, `${BASE}/${pick(SEEDED)}`]));
  } else if (roll < 0.9) {
    await idempotentCall('PUT', `${BASE}/${pick(SEEDED)}`, { first_name: 'Soaked', mobile: '+12015550199', company: `c${n}` });
  } else {
    await idempotentCall('DELETE', `${BASE}/${1000 + n}`); // ids that do not exist: Zoho's own error, retried on faults
  }
}

// ---------------------------------------------------------------------------------------------
// After the run: every contact the simulator holds, read straight from it (not through the gateway).
async function simulatorContacts(sim: ZohoSimulator): Promise<Array<{ id: string; lastName: string }>> {
  const tokenAnswer = await fetch(`${sim.url}/oauth/v2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'sim-client-id', client_secret: 'sim-client-secret', refresh_token: 'sim-refresh-token' }).toString(),
  }).then((r) => r.json() as Promise<{ access_token: string }>);
  const all: Array<{ id: string; lastName: string }> = [];
  for (let from = 0; ; from += 50) {
    const page = await fetch(`${sim.url}${BASE}?from=${from}&size=50`, { headers: { authorization: `Zoho-oauthtoken ${tokenAnswer.access_token}` } }).then(
      (r) => r.json() as Promise<{ contacts: Array<{ contact_id: string; last_name: string }> }>,
    );
    for (const c of page.contacts) all.push({ id: c.contact_id, lastName: c.last_name });
    if (page.contacts.length < 50) return all;
  }
}

async function redisEnvIfAvailable(): Promise<Record<string, string>> {
  if (REDIS_URL === 'none') return {};
  const { hostname, port } = new URL(REDIS_URL);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(hostname)) throw new Error('SOAK_REDIS_URL must be on loopback');
  const open = await new Promise<boolean>((resolve) => {
    const socket = net.connect(Number(port || 6379), hostname.replace(/^\[|\]$/g, ''));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
  if (!open) return {};
  return { REDIS_URL, REDIS_KEY_PREFIX: `soak:${randomUUID().slice(0, 8)}:`, TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
}

async function main(): Promise<void> {
  const sim = await startZohoSimulator({ host: '127.0.0.1' });
  const redisEnv = await redisEnvIfAvailable();
  const port = await freePort();
  gateway = await startGateway(sim, port, redisEnv);
  const startedAt = Date.now();
  const simBefore = sim.createdContactIds().length;

  let next = 0;
  let restarted = false;
  const worker = async () => {
    while (next < CALLS) {
      const n = next++;
      // Half way, a rolling-deploy style restart: only safe for keys with a shared store.
      if (!restarted && n >= CALLS / 2 && redisEnv.REDIS_URL) {
        restarted = true;
        void restartGracefully(sim, port, redisEnv);
      }
      maybeInjectFault(sim);
      await oneCall(n);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsedSec = (Date.now() - startedAt) / 1000;
  sim.faults.clear();
  const faultsHit = sim.log.filter((e) => e.fault).length;

  // Count both sides.
  const contacts = (await simulatorContacts(sim)).filter((c) => c.lastName.startsWith(TAG));
  const byTag = new Map<string, string[]>();
  for (const c of contacts) byTag.set(c.lastName, [...(byTag.get(c.lastName) ?? []), c.id]);
  const createdInSim = sim.createdContactIds().length - simBefore;

  let acknowledged = 0;
  let duplicates = 0;
  let ackMissing = 0;
  let phantom = 0;
  let unknown = 0;
  let unknownCreated = 0;
  let notCreated = 0;
  for (const [tag, { outcome }] of creates) {
    const ids = byTag.get(tag) ?? [];
    duplicates += Math.max(0, ids.length - 1);
    if (outcome.kind === 'acknowledged') {
      acknowledged += 1;
      if (!ids.includes(outcome.id)) ackMissing += 1;
    } else if (outcome.kind === 'not_created') {
      notCreated += 1;
      if (ids.length > 0) phantom += 1;
    } else {
      unknown += 1;
      if (ids.length > 0) unknownCreated += 1;
    }
  }
  const lost = ackMissing + phantom + problems.filter((p) => p.includes('no answer within')).length;
  const badReplays = problems.filter((p) => !p.includes('no answer within')).length;

  stopping = true;
  gateway.child.kill('SIGTERM');
  const finalExit = await gateway.exited;
  await sim.close();

  const line = (label: string, value: string | number) => process.stdout.write(`${label.padEnd(34)}${value}\n`);
  process.stdout.write(`\nsoak: seed ${SEED}, concurrency ${CONCURRENCY}, ${elapsedSec.toFixed(1)} s, idempotency store ${redisEnv.REDIS_URL ? 'Redis' : 'memory'}\n`);
  line('calls:', `${CALLS} (${http.requests} HTTP requests)`);
  line('faults injected:', `${faults.injected} (${faultsHit} met by a call)`);
  line('creates acknowledged:', acknowledged);
  line('creates in the simulator:', createdInSim);
  line('duplicates:', duplicates);
  line('lost:', lost);
  line('gateway crashes:', counts.crashes);
  process.stdout.write('\n');
  line('logical creates:', `${creates.size} (${[...creates.values()].filter((c) => c.keyed).length} with an Idempotency-Key)`);
  line('outcome unknown (told so):', `${unknown} (of which created: ${unknownCreated})`);
  line('not created (told so):', `${notCreated} (of which created anyway: ${phantom})`);
  line('acknowledged but missing:', ackMissing);
  line('replay mismatches:', badReplays);
  line('graceful restarts:', `${counts.restarts} (exit codes: ${[...counts.restartExitCodes, finalExit].join(', ')})`);
  process.stdout.write('\nfaults by kind:\n');
  for (const [kind, n] of [...faults.byKind].sort((a, b) => b[1] - a[1])) line(`  ${kind}`, n);
  process.stdout.write('\nanswers:\n');
  for (const [what, n] of [...http.byStatus].sort((a, b) => b[1] - a[1])) line(`  ${what}`, n);
  for (const p of problems.slice(0, 20)) process.stdout.write(`problem: ${p}\n`);

  const cleanExits = [...counts.restartExitCodes, finalExit].every((c) => c === 0);
  const ok = lost === 0 && duplicates === 0 && counts.crashes === 0 && badReplays === 0 && cleanExits && acknowledged + unknownCreated === createdInSim;
  process.stdout.write(`\n${ok ? 'OK' : 'FAILED'}\n`);
  process.exit(ok ? 0 : 1);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`soak failed: ${(err as Error).stack ?? String(err)}\n`);
  try {
    stopping = true;
    gateway?.child.kill('SIGKILL');
  } catch {
    // already gone
  }
  process.exit(2);
});
