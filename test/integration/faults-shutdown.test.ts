/**
 * Graceful shutdown: /readyz turns 503 at once, no new connections or calls are taken, calls in
 * flight finish (up to SHUTDOWN_GRACE_MS), and the process exits 0. The process tests run the real
 * entry point (src/main.ts) in its own process and send it real signals.
 */
import net from 'node:net';
import { startZohoSimulator, type ZohoSimulator } from '../../src/simulator/zoho-simulator';
import { CreateLedger, taggedContact, until } from '../helpers/create-ledger';
import { spawnGateway } from '../helpers/gateway-process';
import { simulatorEnv, startHarness } from '../helpers/harness';

const BASE = '/rest/json/zv/contacts';

/** A connection with a request half written: the server counts it as busy, not idle. */
async function halfWrittenRequest(url: string, method: string, path: string, body = ''): Promise<{ finish(): Promise<string> }> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const headers = [`${method} ${path} HTTP/1.1`, 'Host: gateway', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`];
  socket.write(`${headers.join('\r\n')}\r\n`);
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  return {
    finish: async () => {
      socket.write(`\r\n${body}`);
      await until(() => /\r\n\r\n/.test(answer) && answer.includes('}'), 5000, 'an answer');
      socket.end();
      await closed;
      return answer;
    },
  };
}

function connectionRefused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

async function post(url: string, contact: object, key?: string): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key) headers['idempotency-key'] = key;
  const res = await fetch(`${url}${BASE}`, { method: 'POST', headers, body: JSON.stringify(contact) });
  return { status: res.status, body: await res.json() };
}

describe('in process', () => {
  test('when shutdown begins, then /readyz answers 503 at once, a new call gets 503 SHUTTING_DOWN, new connections are refused, and the call in flight completes', async () => {
    const h = await startHarness({ env: { SHUTDOWN_GRACE_MS: '5000' } });
    try {
      const ledger = new CreateLedger(h.sim);
      await fetch(`${h.url}/readyz`).then((r) => expect(r.status).toBe(200));
      h.sim.faults.contacts('stall', 1, { method: 'POST', ms: 1000 });
      const inFlight = post(h.url, taggedContact('in-flight-at-shutdown'));
      await until(() => h.sim.contactCalls().some((c) => c.method === 'POST'), 3000, 'the POST upstream');
      const probe = await halfWrittenRequest(h.url, 'GET', '/readyz');
      const lateCall = await halfWrittenRequest(h.url, 'POST', BASE, JSON.stringify(taggedContact('late')));

      const closing = h.gateway.close();
      expect(await probe.finish()).toMatch(/^HTTP\/1\.1 503[\s\S]*"status":"NOT_READY"/);
      const late = await lateCall.finish();
      expect(late).toMatch(/^HTTP\/1\.1 503/);
      expect(late).toMatch(/connection: close/i);
      expect(late).toContain('"code":"SHUTTING_DOWN"');
      expect(await connectionRefused(h.url)).toBe(true);

      const done = await inFlight;
      expect(done.status).toBe(200);
      ledger.note(done.status, done.body);
      await closing;
      expect(ledger.created()).toEqual(ledger.acknowledged());
      expect(ledger.created()).toHaveLength(1);
    } finally {
      await h.close().catch(() => undefined);
      await h.sim.close();
    }
  });
});

describe('as a separate process', () => {
  let sim: ZohoSimulator;
  beforeEach(async () => {
    sim = await startZohoSimulator();
  });
  afterEach(async () => sim.close());

  test('when SIGTERM arrives with a 2 s call in flight, then that call completes with 200 and the process exits 0', async () => {
    const gw = await spawnGateway(simulatorEnv(sim.url, { SHUTDOWN_GRACE_MS: '10000' }));
    const ledger = new CreateLedger(sim);
    sim.faults.contacts('stall', 1, { method: 'POST', ms: 2000 });
    const call = post(gw.url, taggedContact('sigterm-2s'));
    await until(() => sim.contactCalls().some((c) => c.method === 'POST'), 5000, 'the POST upstream');

    const signalledAt = Date.now();
    const exitCode = gw.stop('SIGTERM');
    const answer = await call;
    expect(answer.status).toBe(200);
    ledger.note(answer.status, answer.body);
    expect(await exitCode).toBe(0);
    // It waited for the call (about 2 s), not for the 10 s grace period.
    expect(Date.now() - signalledAt).toBeLessThan(5000);
    expect(gw.stdout()).toContain('"msg":"stopped"');
    expect(ledger.created()).toEqual(ledger.acknowledged());
    expect(ledger.created()).toHaveLength(1);
  });

  test('when SIGTERM arrives under load, then every call in flight gets its answer, creates acknowledged equal creates made, and the process exits 0', async () => {
    const gw = await spawnGateway(simulatorEnv(sim.url, { SHUTDOWN_GRACE_MS: '10000' }));
    const ledger = new CreateLedger(sim);
    await fetch(`${gw.url}${BASE}/contact_status`); // a token before the load
    sim.faults.contacts('stall', 8, { method: 'POST', ms: 1200 });
    sim.faults.contacts('stall', 8, { method: 'GET', ms: 800 });
    const creates = Array.from({ length: 8 }, (_, i) => post(gw.url, taggedContact(`load-${i}`), `shutdown-load-key-${i}`));
    const reads = Array.from({ length: 8 }, () => fetch(`${gw.url}${BASE}/contact_status`).then((r) => r.status));
    await until(() => sim.contactCalls().length >= 17, 5000, 'all 16 calls upstream');

    const exitCode = gw.stop('SIGTERM');
    const answers = await Promise.all(creates);
    for (const a of answers) ledger.note(a.status, a.body);
    expect(answers.map((a) => a.status)).toEqual(Array<number>(8).fill(200));
    expect(await Promise.all(reads)).toEqual(Array<number>(8).fill(200));
    expect(await exitCode).toBe(0);
    expect(ledger.acknowledged()).toHaveLength(8);
    expect(ledger.created().sort()).toEqual(ledger.acknowledged().sort());
  });

  test('when a call outlasts SHUTDOWN_GRACE_MS, then it is cut at the deadline and the process still exits 0 (SIGINT)', async () => {
    const gw = await spawnGateway(simulatorEnv(sim.url, { SHUTDOWN_GRACE_MS: '500' }));
    const ledger = new CreateLedger(sim);
    sim.faults.contacts('stall', 1, { method: 'POST', ms: 10_000 });
    const call = post(gw.url, taggedContact('cut')).then(
      (a) => a.status,
      () => 'connection cut',
    );
    await until(() => sim.contactCalls().some((c) => c.method === 'POST'), 5000, 'the POST upstream');
    const signalledAt = Date.now();
    expect(await gw.stop('SIGINT')).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(3000);
    expect(await call).toBe('connection cut');
    expect(gw.stdout()).toContain('shutdown grace period over');
    // The stall ends with the gateway's connection: the simulator performed nothing.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ledger.created()).toEqual([]);
  });
});
