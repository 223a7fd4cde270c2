/**
 * The whole-call deadline (UPSTREAM_TIMEOUT_MS, here 1 s): a stalled Zoho, a stalled token
 * endpoint, and retries all end within it, with 504 UPSTREAM_TIMEOUT.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import request from 'supertest';
import { CreateLedger, taggedContact, until } from '../helpers/create-ledger';
import { startHarness, type Harness, simulatorLogPerTest } from '../helpers/harness';

const BASE = '/rest/json/zv/contacts';
const TIMEOUT_MS = 1000;
/** Scheduling slack on a shared two-core machine. */
const SLACK_MS = 400;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS), BREAKER_FAILURE_THRESHOLD: '1000' } });
  await request(h.url).get(`${BASE}/contact_status`).expect(200); // warm the token
});
afterAll(async () => h.close());

const { contactCalls } = simulatorLogPerTest(() => h.sim);

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

test('when Zoho stalls for 30 s, then a GET gets 504 UPSTREAM_TIMEOUT within the configured 1 s, after one call (a timeout is not retried)', async () => {
  h.sim.faults.contacts('stall', 1, { method: 'GET', ms: 30_000 });
  const { value: res, ms } = await timed(() => request(h.url).get(`${BASE}/315000153768793`));
  expect(res.status).toBe(504);
  expect(res.body).toMatchObject({ status: 'ERROR', code: 'UPSTREAM_TIMEOUT' });
  expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
  expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  expect(contactCalls()).toHaveLength(1);
});

test('when Zoho stalls for 30 s on a create, then the caller gets 504 within 1 s, the create is not resent, and the simulator created nothing', async () => {
  const ledger = new CreateLedger(h.sim);
  h.sim.faults.contacts('stall', 1, { method: 'POST', ms: 30_000 });
  const { value: res, ms } = await timed(() => request(h.url).post(BASE).send(taggedContact('stalled')));
  expect(res.status).toBe(504);
  expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  expect(contactCalls()).toHaveLength(1);
  // The simulator performs nothing when the client leaves during a stall.
  expect(ledger.created()).toEqual([]);
});

test('when retries would run past the deadline, then the caller still gets its answer within it', async () => {
  // 502, then a stall: the retry starts, and the deadline ends it.
  h.sim.faults.contacts('http_502', 1, { method: 'GET' });
  h.sim.faults.contacts('stall', 1, { method: 'GET', ms: 30_000 });
  const { value: res, ms } = await timed(() => request(h.url).get(`${BASE}/contact_status`));
  expect(res.status).toBe(504);
  expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  expect(contactCalls().map((c) => c.fault)).toEqual(['http_502', 'stall']);
});

test('when the token endpoint stalls on a cold cache, then the wait counts against the same deadline and nothing goes to Zoho', async () => {
  const cold = await startHarness({ simulator: h.sim, env: { UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS) } });
  try {
    const start = h.sim.log.length;
    h.sim.faults.token('slow', 1, { ms: 5000 });
    const { value: res, ms } = await timed(() => request(cold.url).get(`${BASE}/contact_status`));
    expect(res.status).toBe(504);
    expect(res.body.code).toBe('UPSTREAM_TIMEOUT');
    expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(h.sim.log.slice(start).filter((e) => e.kind === 'contacts')).toEqual([]);
  } finally {
    await cold.close();
  }
});

test('when Zoho\'s address takes no connections, then each attempt ends at UPSTREAM_CONNECT_TIMEOUT_MS, a create is retried (nothing was sent), and the caller gets 502 UPSTREAM_UNREACHABLE', async () => {
  // A listening socket that never accepts, its one-slot queue filled by us: further connects hang.
  const blackhole = spawn('python3', ['-u', '-c', 'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1])\ntime.sleep(60)']);
  let out = '';
  blackhole.stdout.on('data', (c: Buffer) => (out += c.toString()));
  let gateway: Harness | undefined;
  const filler = new net.Socket();
  try {
    await until(() => /\d+\n/.test(out), 5000, 'the blackhole port');
    const port = Number(out.trim());
    await new Promise<void>((resolve, reject) => filler.connect(port, '127.0.0.1', resolve).once('error', reject));
    gateway = await startHarness({
      simulator: h.sim,
      env: { ZOHO_VOICE_URL: `http://127.0.0.1:${port}`, UPSTREAM_CONNECT_TIMEOUT_MS: '200', RETRY_MAX_ATTEMPTS: '3', RETRY_BASE_DELAY_MS: '1', RETRY_MAX_DELAY_MS: '1' },
    });
    const { value: res, ms } = await timed(() => request(gateway!.url).post(BASE).send(taggedContact('connect-timeout')));
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('UPSTREAM_UNREACHABLE');
    expect(ms).toBeGreaterThanOrEqual(3 * 200);
    expect(ms).toBeLessThan(3 * 200 + SLACK_MS);
    const retries = gateway.logLines.filter((l) => l.includes('upstream attempt failed; retrying') && l.includes('not_sent:ECONNECT_TIMEOUT'));
    expect(retries).toHaveLength(2);
  } finally {
    filler.destroy();
    await gateway?.close();
    blackhole.kill();
  }
});
