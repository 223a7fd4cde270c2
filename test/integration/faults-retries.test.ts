/**
 * Safe retries against the simulator's faults. Each test counts what reached the simulator and
 * what it created against what the caller was told.
 */
import net from 'node:net';
import request from 'supertest';
import { startZohoSimulator, type ZohoSimulator } from '../../src/simulator/zoho-simulator';
import { CreateLedger, taggedContact, until } from '../helpers/create-ledger';
import { startHarness, type Harness, simulatorLogPerTest } from '../helpers/harness';

const BASE = '/rest/json/zv/contacts';
const STATUSES = `${BASE}/contact_status`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { RETRY_MAX_ATTEMPTS: '3', BREAKER_FAILURE_THRESHOLD: '1000' } });
});
afterAll(async () => h.close());

const { contactCalls } = simulatorLogPerTest(() => h.sim);

describe('idempotent calls are retried', () => {
  test('when a GET meets one 502, then the caller gets 200 after exactly two upstream calls', async () => {
    h.sim.faults.contacts('http_502', 1, { method: 'GET' });
    const res = await request(h.url).get(STATUSES).expect(200);
    expect(res.body.status).toBe('SUCCESS');
    expect(contactCalls().map((c) => [c.method, c.fault ?? null, c.status])).toEqual([
      ['GET', 'http_502', 502],
      ['GET', null, 200],
    ]);
  });

  test('when 502s outlast the attempts, then exactly RETRY_MAX_ATTEMPTS (3) calls go up and the caller gets a 502 envelope', async () => {
    h.sim.faults.contacts('http_502', 5, { method: 'GET' });
    const res = await request(h.url).get(STATUSES).expect(502);
    expect(res.body).toMatchObject({ status: 'ERROR', code: 'UPSTREAM_BAD_RESPONSE' });
    expect(contactCalls()).toHaveLength(3);
    expect(contactCalls().every((c) => c.fault === 'http_502')).toBe(true);
  });

  test('when a GET connection is reset before Zoho reads it, then it is sent again and the caller gets 200', async () => {
    h.sim.faults.contacts('reset_on_connect', 1, { method: 'GET' });
    const res = await request(h.url).get(`${BASE}/9223372036854775807`).expect(200);
    expect(res.body.contacts.contact_id).toBe('9223372036854775807');
    expect(contactCalls().map((c) => c.dropped ?? false)).toEqual([true, false]);
  });

  test('when a PUT meets a 503 and then a 429 with Retry-After: 1, then it waits at least a second and succeeds on the third call', async () => {
    h.sim.faults.contacts('http_503', 1, { method: 'PUT' });
    h.sim.faults.contacts('http_429', 1, { method: 'PUT' });
    const started = Date.now();
    const res = await request(h.url).put(`${BASE}/1234567890123456789`).send({ first_name: 'Retried', mobile: '+12015550199' }).expect(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(res.body.contacts.first_name).toBe('Retried');
    expect(contactCalls().map((c) => c.status)).toEqual([503, 429, 200]);
  });

  test('when a DELETE connection resets after Zoho ran it, then it is sent again (idempotent) and the caller learns the contact is gone', async () => {
    h.sim.faults.contacts('reset_before_response', 1, { method: 'DELETE' });
    const res = await request(h.url).delete(`${BASE}/347000014281005`);
    // The first delete ran (its answer was lost); the resend finds nothing to delete: Zoho's own 404.
    expect(contactCalls().map((c) => [c.method, c.fault ?? null])).toEqual([
      ['DELETE', 'reset_before_response'],
      ['DELETE', null],
    ]);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ status: 'ERROR', code: 'CONTACT_NOT_FOUND' });
  });
});

describe('a create is never sent twice after anything may have reached Zoho', () => {
  test('when a POST connection resets after sending, then it reaches the simulator exactly once, creates one contact, and the caller gets 502 UPSTREAM_OUTCOME_UNKNOWN', async () => {
    const ledger = new CreateLedger(h.sim);
    h.sim.faults.contacts('reset_before_response', 1, { method: 'POST' });
    const res = await request(h.url).post(BASE).send(taggedContact('reset-after-send')).expect(502);
    ledger.note(res.status, res.body);
    expect(res.body).toMatchObject({ status: 'ERROR', code: 'UPSTREAM_OUTCOME_UNKNOWN', request_id: expect.any(String) });
    expect(res.body.message).toMatch(/may or may not have taken effect/);
    expect(contactCalls().filter((c) => c.method === 'POST')).toHaveLength(1);
    expect(ledger.created()).toHaveLength(1);
    expect(ledger.acknowledged()).toEqual([]);
  });

  test('when a POST connection is reset as Zoho receives it, then it is not resent (the gateway cannot prove nothing ran): one arrival, no contact, 502 UPSTREAM_OUTCOME_UNKNOWN', async () => {
    const ledger = new CreateLedger(h.sim);
    h.sim.faults.contacts('reset_on_connect', 1, { method: 'POST' });
    const res = await request(h.url).post(BASE).send(taggedContact('reset-on-connect')).expect(502);
    expect(res.body.code).toBe('UPSTREAM_OUTCOME_UNKNOWN');
    expect(contactCalls().map((c) => [c.method, c.dropped])).toEqual([['POST', true]]);
    expect(ledger.created()).toHaveLength(0);
  });

  test('when a POST meets a 502 page, then it is not resent and the caller is told the outcome is unknown', async () => {
    const ledger = new CreateLedger(h.sim);
    h.sim.faults.contacts('http_502', 1, { method: 'POST' });
    const res = await request(h.url).post(BASE).send(taggedContact('post-502')).expect(502);
    expect(res.body.code).toBe('UPSTREAM_OUTCOME_UNKNOWN');
    expect(contactCalls()).toHaveLength(1);
    expect(ledger.created()).toHaveLength(0);
  });

  test('when a POST meets a 429, then it is not resent and the caller gets Zoho\'s 429 with its Retry-After', async () => {
    h.sim.faults.contacts('http_429', 1, { method: 'POST' });
    const res = await request(h.url).post(BASE).send(taggedContact('post-429')).expect(429);
    expect(res.headers['retry-after']).toBe('1');
    expect(contactCalls()).toHaveLength(1);
  });

  test('when Zoho rejects the token on a POST, then it is sent once more with a fresh token and creates exactly one contact', async () => {
    const ledger = new CreateLedger(h.sim);
    h.sim.faults.contacts('invalid_oauthtoken', 1, { method: 'POST' });
    const res = await request(h.url).post(BASE).send(taggedContact('token-rejected')).expect(200);
    ledger.note(res.status, res.body);
    expect(contactCalls().map((c) => c.status)).toEqual([401, 200]);
    expect(ledger.created()).toEqual(ledger.acknowledged());
    expect(ledger.created()).toHaveLength(1);
  });
});

describe('a create is retried when nothing was sent', () => {
  let sim: ZohoSimulator;
  let gw: Harness;
  let relay: net.Server | undefined;
  let voicePort: number;
  beforeAll(async () => {
    sim = await startZohoSimulator();
    // A port with nothing listening: every connection is refused until the relay starts.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    voicePort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    gw = await startHarness({
      simulator: sim,
      env: {
        ZOHO_VOICE_URL: `http://127.0.0.1:${voicePort}`,
        RETRY_MAX_ATTEMPTS: '10',
        RETRY_BASE_DELAY_MS: '50',
        RETRY_MAX_DELAY_MS: '200',
        BREAKER_FAILURE_THRESHOLD: '1000',
      },
    });
  });
  afterAll(async () => {
    await gw.close();
    await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()));
    await sim.close();
  });

  test('when the first connection is refused, then the POST is sent again once Zoho listens, and exactly one contact is created', async () => {
    const ledger = new CreateLedger(sim);
    const pending = request(gw.url).post(BASE).send(taggedContact('refused-then-ok')).then((r) => r);
    await until(() => gw.logLines.some((l) => l.includes('upstream attempt failed; retrying') && l.includes('not_sent:ECONNREFUSED')), 5000, 'a refused attempt');
    const simPort = Number(new URL(sim.url).port);
    relay = net.createServer((inbound) => {
      const outbound = net.connect(simPort, '127.0.0.1');
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => relay!.listen(voicePort, '127.0.0.1', resolve));

    const res = await pending;
    expect(res.status).toBe(200);
    ledger.note(res.status, res.body);
    expect(sim.contactCalls().filter((c) => c.method === 'POST')).toHaveLength(1);
    expect(ledger.created()).toHaveLength(1);
    expect(ledger.acknowledged()).toEqual(ledger.created());
  });
});

describe('the keep-alive pool toward Zoho', () => {
  test('when more calls arrive than UPSTREAM_MAX_SOCKETS, then they queue for a socket and all succeed over at most that many connections', async () => {
    const sim = await startZohoSimulator();
    let connections = 0;
    const open = new Set<net.Socket>();
    const relay = net.createServer((inbound) => {
      connections += 1;
      open.add(inbound);
      const outbound = net.connect(Number(new URL(sim.url).port), '127.0.0.1');
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const gw = await startHarness({ simulator: sim, env: { ZOHO_VOICE_URL: `http://127.0.0.1:${(relay.address() as net.AddressInfo).port}`, UPSTREAM_MAX_SOCKETS: '2' } });
    try {
      sim.faults.contacts('stall', 2, { ms: 200 });
      for (let round = 0; round < 2; round++) {
        const statuses = await Promise.all(Array.from({ length: 10 }, () => request(gw.url).get(STATUSES).then((r) => r.status)));
        expect(statuses).toEqual(Array<number>(10).fill(200));
      }
      expect(sim.contactCalls()).toHaveLength(20);
      expect(connections).toBe(2);
    } finally {
      await gw.close();
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
      await sim.close();
    }
  });
});
