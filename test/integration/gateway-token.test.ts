import request from 'supertest';
import { startZohoSimulator, type ZohoSimulator } from '../../src/simulator/zoho-simulator';
import { startHarness, type Harness } from '../helpers/harness';

const STATUSES = '/rest/json/zv/contacts/contact_status';

describe('the gateway and the token endpoint, each test on a cold gateway', () => {
  let sim: ZohoSimulator;
  let h: Harness;
  beforeAll(async () => {
    sim = await startZohoSimulator();
  });
  afterAll(async () => sim.close());
  beforeEach(async () => {
    sim.reset();
    h = await startHarness({ simulator: sim });
  });
  afterEach(async () => h.close());

  test('50 concurrent requests on a cold gateway cause exactly 1 token call', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, () => request(h.url).get(STATUSES)));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(sim.tokenCalls()).toBe(1);
    expect(sim.contactCalls()).toHaveLength(50);
    const [token] = sim.issuedTokens();
    expect(new Set(sim.contactCalls().map((c) => c.headers.authorization))).toEqual(new Set([`Zoho-oauthtoken ${token}`]));
  });

  test('50 sequential requests cause exactly 1 token call', async () => {
    for (let i = 0; i < 50; i++) await request(h.url).get(STATUSES).expect(200);
    expect(sim.tokenCalls()).toBe(1);
    expect(sim.contactCalls()).toHaveLength(50);
  });

  test('accounts answering HTTP 200 {"error":"invalid_client"}: 503 TOKEN_CREDENTIALS_INVALID and no contacts call', async () => {
    sim.faults.token('invalid_client', Infinity);
    const res = await request(h.url).get(STATUSES).expect(503);
    expect(res.body).toEqual({
      status: 'ERROR',
      code: 'TOKEN_CREDENTIALS_INVALID',
      message: expect.stringContaining('invalid_client'),
      request_id: res.headers['x-request-id'],
    });
    await request(h.url).post('/rest/json/zv/contacts').send({ first_name: 'A', mobile: '1' }).expect(503);
    expect(sim.contactCalls()).toEqual([]);
    expect(sim.tokenCalls()).toBe(1);
    const ready = await request(h.url).get('/readyz').expect(503);
    expect(ready.body).toEqual({ status: 'NOT_READY' });
  });

  test('a revoked refresh token (invalid_code) is a 503 with the same stable code', async () => {
    sim.revokeRefreshToken();
    const res = await request(h.url).get(STATUSES).expect(503);
    expect(res.body.code).toBe('TOKEN_CREDENTIALS_INVALID');
    expect(sim.contactCalls()).toEqual([]);
  });

  test('a rate-limited token endpoint: 503 TOKEN_RATE_LIMITED with Retry-After, no contacts call', async () => {
    sim.faults.token('rate_limit', Infinity);
    const res = await request(h.url).get(STATUSES).expect(503);
    expect(res.body.code).toBe('TOKEN_RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(sim.contactCalls()).toEqual([]);
  });

  test('an accounts server that keeps failing with 5xx: 502 TOKEN_ENDPOINT_ERROR after a bounded retry', async () => {
    sim.faults.token('http_500', Infinity);
    const res = await request(h.url).get(STATUSES).expect(502);
    expect(res.body.code).toBe('TOKEN_ENDPOINT_ERROR');
    expect(sim.tokenCalls()).toBe(3);
    expect(sim.contactCalls()).toEqual([]);
  });

  test('one transient accounts failure is retried and the call succeeds', async () => {
    sim.faults.token('reset', 1);
    await request(h.url).get(STATUSES).expect(200);
    expect(sim.tokenCalls()).toBe(2);
  });
});
