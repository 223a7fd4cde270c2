/**
 * The gateway's own dependencies failing: Zoho's accounts server (no token can be had) and Redis
 * (the shared idempotency store). Each test counts the simulator's creates against what callers
 * were told was created.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { CreateLedger, taggedContact } from '../helpers/create-ledger';
import { startHarness, type Harness } from '../helpers/harness';
import { startRedisServer, type RedisTopology } from '../helpers/redis-cluster';

const BASE = '/rest/json/zv/contacts';

describe('accounts server down', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { UPSTREAM_TIMEOUT_MS: '3000' } });
  });
  afterAll(async () => h.close());

  test('when no token can be had on a cold cache, then creates fail with a 5xx envelope and reach nobody; once accounts recover, the same keys create exactly one contact each', async () => {
    const ledger = new CreateLedger(h.sim);
    h.sim.faults.token('http_500', Infinity);
    const keys = Array.from({ length: 4 }, () => randomUUID());
    const during = await Promise.all([
      ...keys.map((key, i) => request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact(`accounts-down-${i}`))),
      request(h.url).get(`${BASE}/contact_status`),
    ]);
    // One shared refresh (single flight) fails for all five callers alike.
    expect(during.map((r) => [r.status, r.body.code])).toEqual(Array(5).fill([502, 'TOKEN_ENDPOINT_ERROR']));
    expect(h.sim.contactCalls()).toHaveLength(0);

    h.sim.faults.clear();
    const after = await Promise.all(keys.map((key, i) => request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact(`accounts-down-${i}`))));
    for (const r of after) ledger.note(r.status, r.body);
    expect(after.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(after.every((r) => r.headers['idempotent-replayed'] === undefined)).toBe(true);
    expect(ledger.created()).toHaveLength(4);
    expect(ledger.created().sort()).toEqual(ledger.acknowledged().sort());
  });
});

describe('Redis down', () => {
  let redis: RedisTopology;
  let h: Harness;
  beforeAll(async () => {
    redis = await startRedisServer();
    h = await startHarness({
      env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `faults:${randomUUID().slice(0, 8)}:`, TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex'), RATE_LIMIT_RPS: '0' },
    });
  });
  afterAll(async () => {
    await h.close();
    await redis.close();
  });

  test('when Redis stops, then a keyed create is refused with 503 IDEMPOTENCY_UNAVAILABLE before anything is sent, unkeyed calls go on, and after Redis returns the key creates once', async () => {
    const ledger = new CreateLedger(h.sim);
    const before = await request(h.url).post(BASE).set('Idempotency-Key', randomUUID()).send(taggedContact('redis-up')).expect(200);
    ledger.note(before.status, before.body);

    await redis.stopAll();
    const key = randomUUID();
    const postsBefore = h.sim.contactCalls().filter((c) => c.method === 'POST').length;
    const started = Date.now();
    const refused = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('redis-down')).expect(503);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(refused.body.code).toBe('IDEMPOTENCY_UNAVAILABLE');
    expect(refused.headers['retry-after']).toBe('1');
    expect(h.sim.contactCalls().filter((c) => c.method === 'POST')).toHaveLength(postsBefore);

    // No key: nothing to keep, and the token comes from the in-process copy.
    const unkeyed = await request(h.url).post(BASE).send(taggedContact('redis-down-unkeyed')).expect(200);
    ledger.note(unkeyed.status, unkeyed.body);
    await request(h.url).get(`${BASE}/contact_status`).expect(200);

    await redis.restart();
    let retried: request.Response | undefined;
    const deadline = Date.now() + 8000;
    do {
      retried = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('redis-down'));
      if (retried.status === 503) await new Promise((resolve) => setTimeout(resolve, 100));
    } while (retried.status === 503 && Date.now() < deadline);
    expect(retried.status).toBe(200);
    ledger.note(retried.status, retried.body);
    const replay = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('redis-down')).expect(200);
    expect(replay.text).toBe(retried.text);

    expect(ledger.created()).toHaveLength(3);
    expect(ledger.created().sort()).toEqual(ledger.acknowledged().sort());
  });
});
