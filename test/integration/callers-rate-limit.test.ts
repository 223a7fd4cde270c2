import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { Clock } from '../../src/oauth/clock';
import { createLogger } from '../../src/logger';
import { MemoryRateLimiter } from '../../src/ratelimit/memory-rate-limiter';
import type { RateLimiter } from '../../src/ratelimit/rate-limiter';
import { RedisRateLimiter } from '../../src/ratelimit/redis-rate-limiter';
import { redisKeys } from '../../src/redis/keys';
import { startZohoSimulator, type ZohoSimulator } from '../../src/simulator/zoho-simulator';
import { bearer, callersFixture, type CallersFixture } from '../helpers/callers';
import { startHarness, type Harness } from '../helpers/harness';
import { startRedisServer } from '../helpers/redis-cluster';

const REDIS_URL = 'redis://127.0.0.1:6379';
const STATUSES = '/rest/json/zv/contacts/contact_status';
const silent = createLogger({ level: 'silent' });
const prefix = () => `test-rl-${randomBytes(6).toString('hex')}:`;
const redisEnv = (keyPrefix: string) => ({ REDIS_URL, REDIS_KEY_PREFIX: keyPrefix, TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex') });

class ManualClock implements Clock {
  private at = Date.now();
  now(): number {
    return this.at;
  }
  advance(ms: number): void {
    this.at += ms;
  }
}

/** The same behaviour from both limiters: one contract, run against memory and real Redis. */
describe.each(['memory', 'redis'] as const)('token bucket contract: %s', (kind) => {
  let redis: Redis | undefined;
  afterAll(async () => {
    await redis?.quit();
  });
  function limiter(ratePerSec: number, burst: number): RateLimiter {
    const settings = { ratePerSec, burst };
    if (kind === 'memory') return new MemoryRateLimiter(settings, { now: () => Date.now() });
    redis ??= new Redis(REDIS_URL);
    return new RedisRateLimiter({ client: redis, keys: redisKeys(prefix()), settings, fallback: new MemoryRateLimiter(settings, { now: () => Date.now() }), log: silent });
  }

  test('when a caller spends the burst, then the next take is refused with the time until one token is back', async () => {
    const bucket = limiter(1, 3);
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await bucket.take('crm'));
    expect(decisions.slice(0, 3)).toEqual([
      { allowed: true, retryAfterMs: 0 },
      { allowed: true, retryAfterMs: 0 },
      { allowed: true, retryAfterMs: 0 },
    ]);
    expect(decisions[3]!.allowed).toBe(false);
    // One token per second, the bucket just emptied: about a second (less the few ms elapsed).
    expect(decisions[3]!.retryAfterMs).toBeGreaterThan(900);
    expect(decisions[3]!.retryAfterMs).toBeLessThanOrEqual(1000);
  });

  test('when one caller is out of tokens, then another caller still has a full bucket', async () => {
    const bucket = limiter(0.5, 1);
    expect((await bucket.take('a')).allowed).toBe(true);
    expect((await bucket.take('a')).allowed).toBe(false);
    expect((await bucket.take('b')).allowed).toBe(true);
  });

  test('when time passes, then tokens flow back at the rate and never beyond the burst', async () => {
    const bucket = limiter(50, 2);
    expect((await bucket.take('c')).allowed).toBe(true);
    expect((await bucket.take('c')).allowed).toBe(true);
    const refused = await bucket.take('c');
    expect(refused).toEqual({ allowed: false, retryAfterMs: expect.any(Number) });
    expect(refused.retryAfterMs).toBeLessThanOrEqual(20);
    await sleep(150); // 7.5 tokens' worth of time, capped at the burst of 2
    const after = [await bucket.take('c'), await bucket.take('c'), await bucket.take('c')].map((d) => d.allowed);
    expect(after).toEqual([true, true, false]);
  });
});

describe('rate limit over HTTP', () => {
  let sim: ZohoSimulator;
  let callers: CallersFixture;
  beforeAll(async () => {
    sim = await startZohoSimulator();
    callers = callersFixture([
      { name: 'crm', scopes: ['zohovoice.contacts.READ'] },
      { name: 'billing', scopes: ['zohovoice.contacts.READ'] },
    ]);
  });
  afterAll(async () => {
    await sim.close();
    callers.remove();
  });
  const get = (h: Harness, caller: string) => request(h.url).get(STATUSES).set('Authorization', bearer(callers.keys[caller]!));
  const contactCalls = (from: number) => sim.log.slice(from).filter((e) => e.kind === 'contacts').length;

  test('memory: past the burst, 429 RATE_LIMITED with Retry-After, nothing upstream, audited; other callers unaffected; tokens come back', async () => {
    const clock = new ManualClock();
    const h = await startHarness({ simulator: sim, overrides: { clock }, env: { GATEWAY_CALLERS_FILE: callers.file, RATE_LIMIT_RPS: '0.5', RATE_LIMIT_BURST: '3' } });
    try {
      const start = sim.log.length;
      for (let i = 0; i < 3; i++) await get(h, 'crm').expect(200);
      const refused = await get(h, 'crm');
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('2');
      expect(refused.body).toEqual({ status: 'ERROR', code: 'RATE_LIMITED', message: 'Too many requests from this caller.', request_id: refused.headers['x-request-id'] });
      expect(contactCalls(start)).toBe(3);

      await get(h, 'billing').expect(200);
      clock.advance(2000);
      await get(h, 'crm').expect(200);
      expect((await get(h, 'crm')).status).toBe(429);

      const audit = h.logLines.map((l) => JSON.parse(l)).find((l) => l.audit && l.request_id === refused.headers['x-request-id']);
      expect(audit).toMatchObject({ caller: 'crm', decision: 'denied:RATE_LIMITED', status: 429, upstream_status: null });
    } finally {
      await h.close();
    }
  });

  test('RATE_LIMIT_RPS=0 turns the limit off', async () => {
    const h = await startHarness({ simulator: sim, env: { GATEWAY_CALLERS_FILE: callers.file, RATE_LIMIT_RPS: '0', RATE_LIMIT_BURST: '1' } });
    try {
      for (let i = 0; i < 5; i++) await get(h, 'crm').expect(200);
    } finally {
      await h.close();
    }
  });

  test('Redis: two gateways share one bucket per caller, so the limit holds for the fleet', async () => {
    const keyPrefix = prefix();
    const env = { GATEWAY_CALLERS_FILE: callers.file, RATE_LIMIT_RPS: '0.5', RATE_LIMIT_BURST: '2', ...redisEnv(keyPrefix) };
    const a = await startHarness({ simulator: sim, env });
    const b = await startHarness({ simulator: sim, env: { ...env, TOKEN_ENCRYPTION_KEY: a.config.redis!.encryptionKey } });
    const redis = new Redis(REDIS_URL);
    try {
      const start = sim.log.length;
      await get(a, 'crm').expect(200);
      await get(b, 'crm').expect(200);
      const refusedByA = await get(a, 'crm');
      const refusedByB = await get(b, 'crm');
      expect([refusedByA.status, refusedByB.status]).toEqual([429, 429]);
      expect(refusedByB.headers['retry-after']).toBe('2');
      await get(b, 'billing').expect(200);
      expect(contactCalls(start)).toBe(3);

      const key = redisKeys(keyPrefix).rateLimit('crm');
      expect(key).toBe(`${keyPrefix}{rl:crm}`);
      expect(await redis.exists(key)).toBe(1);
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(2 * 2000 + 1000);
    } finally {
      await redis.quit();
      await a.close();
      await b.close();
    }
  });

  test('Redis down: each replica limits on its own (memory) instead of failing calls, and says so once', async () => {
    const own = await startRedisServer();
    const h = await startHarness({ simulator: sim, env: { GATEWAY_CALLERS_FILE: callers.file, RATE_LIMIT_RPS: '0.5', RATE_LIMIT_BURST: '2', ...redisEnv(prefix()), REDIS_URL: own.url } });
    try {
      await get(h, 'crm').expect(200);
      await own.stopAll();
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await get(h, 'crm')).status);
      // The memory fallback starts with a full bucket of 2, then refuses.
      expect(statuses).toEqual([200, 200, 429, 429]);
      const warnings = h.logLines.filter((l) => l.includes('rate limit: Redis unavailable, limiting per replica'));
      expect(warnings).toHaveLength(1);
    } finally {
      await h.close();
      await own.close();
    }
  });
});
