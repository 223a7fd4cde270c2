/**
 * The circuit breaker toward Zoho, over HTTP: sustained failures open it, callers then fail fast
 * with 503 CIRCUIT_OPEN and Retry-After while nothing reaches Zoho, and a half-open probe closes it.
 */
import request from 'supertest';
import { CreateLedger, taggedContact, until } from '../helpers/create-ledger';
import { startHarness, type Harness } from '../helpers/harness';

const BASE = '/rest/json/zv/contacts';
const STATUSES = `${BASE}/contact_status`;
const COOLDOWN_MS = 600;

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ env: { BREAKER_FAILURE_THRESHOLD: '3', BREAKER_COOLDOWN_MS: String(COOLDOWN_MS), RETRY_MAX_ATTEMPTS: '1' } });
});
afterEach(async () => h.close());
const contactCalls = () => h.sim.contactCalls();

test('when 3 calls in a row meet 502, then the 4th fails fast with 503 CIRCUIT_OPEN and Retry-After, and Zoho sees only the 3', async () => {
  h.sim.faults.contacts('http_502', Infinity);
  for (let i = 0; i < 3; i++) await request(h.url).get(STATUSES).expect(502);
  expect(h.gateway.breaker.state).toBe('open');

  const started = Date.now();
  const res = await request(h.url).get(STATUSES).expect(503);
  expect(Date.now() - started).toBeLessThan(200);
  expect(res.body).toMatchObject({ status: 'ERROR', code: 'CIRCUIT_OPEN' });
  expect(res.headers['retry-after']).toBe('1');
  expect(contactCalls()).toHaveLength(3);
  expect(h.logLines.some((l) => l.includes('circuit breaker open') && l.includes('"consecutive_failures":3'))).toBe(true);
});

test('when the cool-down has passed and Zoho is back, then one probe goes through and closes the breaker', async () => {
  h.sim.faults.contacts('http_502', 3);
  for (let i = 0; i < 3; i++) await request(h.url).get(STATUSES).expect(502);
  await request(h.url).get(STATUSES).expect(503);
  await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 50));

  await request(h.url).get(STATUSES).expect(200);
  expect(h.gateway.breaker.state).toBe('closed');
  await request(h.url).get(STATUSES).expect(200);
  expect(contactCalls().map((c) => c.status)).toEqual([502, 502, 502, 200, 200]);
});

test('when the probe fails, then the breaker opens again for another cool-down', async () => {
  h.sim.faults.contacts('http_502', 4);
  for (let i = 0; i < 3; i++) await request(h.url).get(STATUSES).expect(502);
  await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 50));
  await request(h.url).get(STATUSES).expect(502); // the probe
  expect(h.gateway.breaker.state).toBe('open');
  await request(h.url).get(STATUSES).expect(503);
  expect(contactCalls()).toHaveLength(4);
});

test('when the breaker is open, then a create fails fast, nothing is created, and its Idempotency-Key stays free for the retry', async () => {
  const ledger = new CreateLedger(h.sim);
  h.sim.faults.contacts('http_502', 3, { method: 'GET' });
  for (let i = 0; i < 3; i++) await request(h.url).get(STATUSES).expect(502);
  const key = 'breaker-open-create-0001';
  const refused = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('breaker')).expect(503);
  expect(refused.body.code).toBe('CIRCUIT_OPEN');
  expect(contactCalls().filter((c) => c.method === 'POST')).toHaveLength(0);

  await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 50));
  const created = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('breaker')).expect(200);
  ledger.note(created.status, created.body);
  expect(created.headers['idempotent-replayed']).toBeUndefined();
  expect(ledger.created()).toHaveLength(1);
  expect(ledger.acknowledged()).toEqual(ledger.created());
});

test('when the breaker is open, then a replica stays ready, and the not-ready detail log names the breaker state', async () => {
  h.sim.faults.contacts('http_502', Infinity);
  for (let i = 0; i < 3; i++) await request(h.url).get(STATUSES).expect(502);
  // Zoho failing does not make a replica unready: every replica would drop out at once.
  await request(h.url).get('/readyz').expect(200);
  // Not ready for another reason (no token can be had): the detail carries the breaker's state.
  const { value } = await h.gateway.tokens.getAccessToken();
  h.sim.revokeRefreshToken();
  await h.gateway.tokens.reportRejected(value);
  await request(h.url).get('/readyz').expect(503);
  const detail = h.logLines.find((l) => l.includes('not ready'));
  expect(detail).toContain('"breaker":{"state":"open","consecutiveFailures":3');
});

test('when the breaker opens while a create waits to be resent with a fresh token, then the caller gets 503 CIRCUIT_OPEN (never Zoho\'s 401) and the key stays free', async () => {
  await h.close();
  h = await startHarness({ env: { BREAKER_FAILURE_THRESHOLD: '1', BREAKER_COOLDOWN_MS: String(COOLDOWN_MS), RETRY_MAX_ATTEMPTS: '1' } });
  await request(h.url).get(STATUSES).expect(200); // a token
  const ledger = new CreateLedger(h.sim);
  const key = 'breaker-after-401-0001';
  h.sim.faults.contacts('invalid_oauthtoken', 1, { method: 'POST' });
  h.sim.faults.token('slow', 1, { ms: 500 });
  const pending = request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('after-401')).then((r) => r);
  await until(() => h.sim.tokenCalls() === 2, 3000, 'the refresh after the 401');
  // Meanwhile another call fails (it would wait for the same refresh, so it is reported directly).
  h.gateway.breaker.acquire()!.failure();
  expect(h.gateway.breaker.state).toBe('open');

  const refused = await pending;
  expect(refused.status).toBe(503);
  expect(refused.body.code).toBe('CIRCUIT_OPEN');
  await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 50));
  const created = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('after-401')).expect(200);
  ledger.note(created.status, created.body);
  expect(ledger.created()).toHaveLength(1);
  expect(ledger.acknowledged()).toEqual(ledger.created());
});
