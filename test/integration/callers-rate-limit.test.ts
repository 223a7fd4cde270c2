import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { Clock } from '../../src/oauth/clock';
import { createLogger } from '../../src/logger';
import { MemoryRateLimiter } from '../../src/ratelimit/memory-rate-limiter';
import type { RateLimiter } from '../../src/ratelimit/rate-limiter';
import { LEASE_LAPSE_MS, leaseAheadMark, leasePlan, leaseSize } from '../../src/ratelimit/lease-plan';
import { OUTAGE_RETRY_MS, RedisRateLimiter } from '../../src/ratelimit/redis-rate-limiter';
import { redisKeys } from '../../src/redis/keys';
import { startZohoSimulator, type ZohoSimulator } from '../../src/simulator/zoho-simulator';
import { bearer, callersFixture, type CallersFixture } from '../helpers/callers';
import { startHarness, type Harness } from '../helpers/harness';
import { scrape, valueOf } from '../helpers/prometheus-text';
import { commandCounts, commandDelta, startRedisServer, type RedisTopology } from '../helpers/redis-cluster';
import { ManualClock } from '../helpers/manual-clock';

const REDIS_URL = 'redis://127.0.0.1:6379';
const STATUSES = '/rest/json/zv/contacts/contact_status';
const silent = createLogger({ level: 'silent' });
const figures: string[] = [];
afterAll(() => {
  if (figures.length) process.stdout.write(`\nrate-limit figures:\n  ${figures.join('\n  ')}\n`);
});
const prefix = () => `test-rl-${randomBytes(6).toString('hex')}:`;
const redisEnv = (keyPrefix: string) => ({ REDIS_URL, REDIS_KEY_PREFIX: keyPrefix, TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex') });

function redisLimiter(client: Redis, settings: { ratePerSec: number; burst: number }, clock: Clock = { now: () => Date.now() }, keyPrefix = prefix()): RedisRateLimiter {
  return new RedisRateLimiter({ client, keys: redisKeys(keyPrefix), settings, fallback: new MemoryRateLimiter(settings, clock), log: silent, clock });
}

/** 'settled' when the promise is already settled, 'waiting' when it still waits (for I/O): no timers involved. */
async function settledAtOnce(p: Promise<unknown>): Promise<'settled' | 'waiting'> {
  // An already settled promise's reaction runs in the same microtask turn as the sentinel's, and first.
  return Promise.race([p.then(() => 'settled' as const), Promise.resolve().then(() => 'waiting' as const)]);
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
    return redisLimiter(redis, settings);
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

describe('leasing from the shared bucket (Redis limiter)', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await redis.quit();
  });
  const bucketTokens = async (keyPrefix: string, caller: string) => Number(await redis.hget(redisKeys(keyPrefix).rateLimit(caller), 'tokens'));

  test('the largest lease (chunk) is about 100 ms of the rate, at least 1, at most an eighth of the burst', () => {
    expect(leasePlan({ ratePerSec: 50, burst: 100 })).toEqual({ chunk: 5, first: 2, lapseMs: 1000 });
    expect(leasePlan({ ratePerSec: 100000, burst: 100000 }).chunk).toBe(10000);
    expect(leasePlan({ ratePerSec: 100000, burst: 1000 }).chunk).toBe(125);
    expect(leasePlan({ ratePerSec: 0.5, burst: 2 })).toEqual({ chunk: 1, first: 1, lapseMs: 1000 });
    expect(leasePlan({ ratePerSec: 3, burst: 100 }).chunk).toBe(1);
  });

  test('a lease asks for the last 500 ms of demand on this replica, at least 2, at most the chunk; the next is asked ahead at half', () => {
    const plan = leasePlan({ ratePerSec: 100000, burst: 100000 });
    expect(leaseSize(plan, 140, 1000)).toBe(70); // 140/s
    expect(leaseSize(plan, 3, 10)).toBe(15); // 3 calls in 10 ms count as 3 in 100 ms
    expect(leaseSize(plan, 0, 5000)).toBe(2);
    expect(leaseSize(plan, 90000, 1000)).toBe(10000);
    expect(leaseSize(leasePlan({ ratePerSec: 0.5, burst: 2 }), 50, 100)).toBe(1);
    expect([1, 2, 5, 70].map(leaseAheadMark)).toEqual([0, 1, 2, 35]);
  });

  test('when a caller calls steadily within the default limit (50/s, burst 100), then only its first call waits for Redis and each lease covers a chunk of 5', async () => {
    const bucket = redisLimiter(redis, { ratePerSec: 50, burst: 100 });
    const first = bucket.take('steady');
    expect(await settledAtOnce(first)).toBe('waiting');
    expect(await first).toEqual({ allowed: true, retryAfterMs: 0 });
    const answers: string[] = [];
    const decisions = [];
    // 60 calls at 40 per second (1.5 s): below the rate, so the leases ahead keep up.
    for (let i = 0; i < 60; i++) {
      await sleep(25);
      const p = bucket.take('steady');
      answers.push(await settledAtOnce(p));
      decisions.push(await p);
    }
    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(answers.filter((a) => a === 'waiting')).toEqual([]);
    const stats = bucket.stats();
    expect(stats.awaitedTakes).toBe(1);
    // 61 calls: a first lease of 2, then 5 (the chunk) each: 13 leases, give or take one ahead at each end.
    expect(stats.leases).toBeGreaterThanOrEqual(12);
    expect(stats.leases).toBeLessThanOrEqual(15);
    expect(stats.failedLeases).toBe(0);
    await bucket.close();
  });

  test('when many calls find no tokens at once, then one lease is asked for them together, not one each', async () => {
    const keyPrefix = prefix();
    const bucket = redisLimiter(redis, { ratePerSec: 100, burst: 800 }, undefined, keyPrefix);
    expect(bucket.plan.chunk).toBe(10);
    const decisions = await Promise.all(Array.from({ length: 30 }, () => bucket.take('herd')));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(30);
    const stats = bucket.stats();
    // The first lease (2: no demand known yet) was sent before the others arrived; the second covered
    // all 30 waiting; at most one more was asked ahead as the last of them ran the allowance low.
    expect(stats.leases).toBeGreaterThanOrEqual(2);
    expect(stats.leases).toBeLessThanOrEqual(3);
    expect(stats.awaitedTakes).toBe(30);
    await bucket.close();
    // Redis gave out 2 + 30 tokens, and at most a chunk (10) ahead; the bucket shows the same, less a few ms of refill.
    const granted = bucket.stats().grantedTokens;
    expect(granted).toBeGreaterThanOrEqual(32);
    expect(granted).toBeLessThanOrEqual(2 + 30 + 10);
    const given = 800 - (await bucketTokens(keyPrefix, 'herd'));
    expect(given).toBeLessThanOrEqual(granted);
    expect(given).toBeGreaterThan(granted - 2);
  });

  test('when leased tokens sit unspent for the lapse time, then they are dropped (not returned) and the next call leases afresh', async () => {
    const keyPrefix = prefix();
    const clock = new ManualClock();
    const bucket = redisLimiter(redis, { ratePerSec: 100, burst: 80 }, clock, keyPrefix);
    const [startSec, startUsec] = await redis.time();
    // A first lease of 2; spending one leaves half, so a lease of 5 is asked ahead.
    expect(await bucket.take('idle')).toEqual({ allowed: true, retryAfterMs: 0 });
    for (let i = 0; i < 100 && bucket.stats().grantedTokens < 7; i++) await sleep(10);
    expect(await settledAtOnce(bucket.take('idle'))).toBe('settled');
    clock.advance(LEASE_LAPSE_MS);
    const afterLapse = bucket.take('idle');
    expect(await settledAtOnce(afterLapse)).toBe('waiting');
    expect(await afterLapse).toEqual({ allowed: true, retryAfterMs: 0 });
    // That call waited for a fresh lease of 2 (little demand in the last second); spending one left
    // half, so a lease of 5 was asked ahead again (close() waits for it).
    await bucket.close();
    expect(bucket.stats()).toEqual({ leases: 4, failedLeases: 0, grantedTokens: 2 + 5 + 2 + 5, awaitedTakes: 2, lapsedTokens: 5 });
    // 14 tokens left the shared bucket, 3 were spent; the 5 that lapsed did not go back to it.
    const [tokens, at] = await redis.hmget(redisKeys(keyPrefix).rateLimit('idle'), 'tokens', 'at');
    const refill = ((Number(at) - (Number(startSec) * 1000 + Number(startUsec) / 1000)) * 100) / 1000;
    expect(Number(tokens)).toBeLessThanOrEqual(80 - 14 + refill + 0.1);
  });

  test('when the shared bucket is empty, then calls are refused locally until a chunk has flowed back, with Retry-After to match', async () => {
    const keyPrefix = prefix();
    const bucket = redisLimiter(redis, { ratePerSec: 100, burst: 80 }, undefined, keyPrefix);
    const decisions = [];
    for (let i = 0; i < 120; i++) decisions.push(await bucket.take('flood'));
    const allowed = decisions.filter((d) => d.allowed).length;
    // 80 in the burst plus what flowed back in the few ms the loop took.
    expect(allowed).toBeGreaterThanOrEqual(80);
    expect(allowed).toBeLessThanOrEqual(90);
    const refused = decisions.filter((d) => !d.allowed);
    // A chunk (10 tokens) takes 100 ms to come back at 100/s.
    for (const d of refused) {
      expect(d.retryAfterMs).toBeGreaterThan(0);
      expect(d.retryAfterMs).toBeLessThanOrEqual(101);
    }
    // The refused calls cost no Redis command each: 80 tokens are 8 leases, then one that found the bucket empty, a few more for the refill.
    expect(bucket.stats().leases).toBeLessThanOrEqual(12);
    await bucket.close();
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

  test('Redis, leasing in chunks: two gateways together admit no more than one exact bucket would, and at most the documented slack fewer', async () => {
    const settings = { ratePerSec: 40, burst: 400 };
    const plan = leasePlan(settings);
    expect(plan.chunk).toBe(4);
    const env = { GATEWAY_CALLERS_FILE: callers.file, RATE_LIMIT_RPS: '40', RATE_LIMIT_BURST: '400', ...redisEnv(prefix()) };
    const a = await startHarness({ simulator: sim, env });
    const b = await startHarness({ simulator: sim, env: { ...env, TOKEN_ENCRYPTION_KEY: a.config.redis!.encryptionKey } });
    try {
      // Token first, so the measured window holds only rate-limited calls.
      await request(a.url).get(STATUSES).set('Authorization', bearer(callers.keys.billing!)).expect(200);
      await request(b.url).get(STATUSES).set('Authorization', bearer(callers.keys.billing!)).expect(200);
      const statuses = { a: [] as number[], b: [] as number[] };
      const call = async (h: Harness, into: number[]) => {
        const res = await fetch(`${h.url}${STATUSES}`, { headers: { Authorization: bearer(callers.keys.crm!) } });
        await res.arrayBuffer();
        into.push(res.status);
      };
      // 4 callers' connections per gateway, 300 calls each: 600 in all, against a bucket of 400 at 40/s.
      const started = performance.now();
      await Promise.all(
        [a, b].flatMap((h) =>
          Array.from({ length: 4 }, async () => {
            const into = h === a ? statuses.a : statuses.b;
            for (let i = 0; i < 75; i++) await call(h, into);
          }),
        ),
      );
      const seconds = (performance.now() - started) / 1000;
      const admitted = [...statuses.a, ...statuses.b].filter((s) => s === 200).length;
      expect(new Set([...statuses.a, ...statuses.b])).toEqual(new Set([200, 429]));
      // Both gateways drew on the one bucket, and both were refused once it ran dry.
      expect(statuses.a.filter((s) => s === 200).length).toBeGreaterThan(100);
      expect(statuses.b.filter((s) => s === 200).length).toBeGreaterThan(100);
      // Never more than one exact bucket over the window (no leases were held at its start)...
      expect(admitted).toBeLessThanOrEqual(400 + Math.ceil(40 * seconds));
      // ...and fewer by at most what each replica may hold leased (half a lease left + the next lease;
      // a lease is at most the chunk, or the 4 calls waiting) plus the chunk the bucket refills
      // before a replica asks again.
      const lease = Math.max(plan.chunk, 4);
      const slack = 2 * (leaseAheadMark(lease) + lease) + plan.chunk + 1;
      expect(admitted).toBeGreaterThanOrEqual(400 - slack);
      figures.push(`two gateways, 600 calls in ${seconds.toFixed(2)} s against burst 400 at 40/s: ${admitted} admitted (exact bucket: 400..${400 + Math.ceil(40 * seconds)}, slack allowed ${slack})`);
    } finally {
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
      // One failed lease, not one per call: while Redis is away one lease is tried per OUTAGE_RETRY_MS.
      expect(valueOf(await scrape(h.url), 'zvgw_redis_errors_total', { component: 'rate_limit' })).toBe(1);

      // Redis back (empty: nothing persisted): the next lease tried after the retry time shares the bucket again.
      await own.restart();
      const back = () => h.logLines.some((l) => l.includes('rate limit shared through Redis again'));
      for (let i = 0; i < 60 && !back(); i++) {
        await sleep(OUTAGE_RETRY_MS / 5);
        await get(h, 'billing');
      }
      expect(back()).toBe(true);
      const restarted = new Redis(own.url);
      try {
        expect(await restarted.exists(`${h.config.redis!.keyPrefix}{rl:billing}`)).toBe(1);
      } finally {
        await restarted.quit();
      }
    } finally {
      await h.close();
      await own.close();
    }
  });
});


describe('Redis commands of the shared limit', () => {
  // A private Redis, so INFO commandstats counts this gateway's commands alone.
  let own: RedisTopology;
  let sim: ZohoSimulator;
  let callers: CallersFixture;
  beforeAll(async () => {
    own = await startRedisServer();
    sim = await startZohoSimulator();
    callers = callersFixture([{ name: 'crm', scopes: ['zohovoice.contacts.READ'] }]);
  });
  afterAll(async () => {
    await sim.close();
    await own.close();
    callers.remove();
  });

  /** Commands Redis ran while one caller made `calls` calls (one at a time, `pauseMs` apart), after one warm-up call. */
  async function commandsOver(calls: number, limit: Record<string, string>, pauseMs = 0) {
    const h = await startHarness({ simulator: sim, env: { GATEWAY_CALLERS_FILE: callers.file, ...limit, ...redisEnv(prefix()), REDIS_URL: own.url } });
    try {
      const call = async () => {
        const res = await fetch(`${h.url}${STATUSES}`, { headers: { Authorization: bearer(callers.keys.crm!) } });
        await res.arrayBuffer();
        return res.status;
      };
      expect(await call()).toBe(200); // the token and the first lease
      const before = await commandCounts(own);
      const statuses: number[] = [];
      const started = performance.now();
      for (let i = 0; i < calls; i++) {
        if (pauseMs) await sleep(pauseMs);
        statuses.push(await call());
      }
      const seconds = (performance.now() - started) / 1000;
      const after = await commandCounts(own);
      expect(new Set(statuses)).toEqual(new Set([200]));
      const delta = commandDelta(before, after);
      delete delta.info; // the measurement itself
      // The lease script is the only thing sent: EVALSHA (EVAL if Redis lost the script), and the commands it runs.
      expect(Object.keys(delta).every((c) => ['evalsha', 'eval', 'time', 'hmget', 'hset', 'pexpire'].includes(c))).toBe(true);
      return { roundTrips: (delta.evalsha ?? 0) + (delta.eval ?? 0), delta, seconds };
    } finally {
      await h.close();
    }
  }

  /**
   * The most lease calls `calls` calls may cost: one per chunk; about two a second, since a lease
   * covers the last 500 ms of demand and the next is asked at half; and the ramp from a first lease
   * of 2 up to that demand (each lease at most 5 times the calls seen since the one before).
   */
  const leaseBound = (calls: number, chunk: number, seconds: number) => Math.ceil(calls / chunk) + 2 * Math.ceil(seconds) + 8;

  test('when one caller makes 1,000 calls under a high limit (100000/s, burst 100000), then Redis sees a few lease calls, not 1,000', async () => {
    const plan = leasePlan({ ratePerSec: 100000, burst: 100000 });
    const { roundTrips, delta, seconds } = await commandsOver(1000, { RATE_LIMIT_RPS: '100000', RATE_LIMIT_BURST: '100000' });
    expect(roundTrips).toBeLessThanOrEqual(leaseBound(1000, plan.chunk, seconds));
    expect(roundTrips).toBeLessThanOrEqual(50); // at least 20 calls per Redis command, whatever the machine
    figures.push(`1,000 calls in ${seconds.toFixed(1)} s at 100000/s burst 100000 (chunk ${plan.chunk}): ${roundTrips} lease calls, INFO commandstats delta ${JSON.stringify(delta)} (before leasing: 1,000 EVALSHA)`);
  });

  test('when one caller makes 1,000 calls with a chunk of 125 (100000/s, burst 1000), then Redis sees about 1,000 / 125 lease calls', async () => {
    const plan = leasePlan({ ratePerSec: 100000, burst: 1000 });
    expect(plan.chunk).toBe(125);
    const { roundTrips, delta, seconds } = await commandsOver(1000, { RATE_LIMIT_RPS: '100000', RATE_LIMIT_BURST: '1000' });
    expect(roundTrips).toBeGreaterThanOrEqual(Math.ceil(1000 / plan.chunk));
    expect(roundTrips).toBeLessThanOrEqual(leaseBound(1000, plan.chunk, seconds));
    figures.push(`1,000 calls in ${seconds.toFixed(1)} s at 100000/s burst 1000 (chunk ${plan.chunk}): ${roundTrips} lease calls, INFO commandstats delta ${JSON.stringify(delta)}`);
  });

  test('when one caller calls steadily at 40/s under the default limit (50/s, burst 100), then one lease call per 5 calls', async () => {
    const plan = leasePlan({ ratePerSec: 50, burst: 100 });
    const { roundTrips } = await commandsOver(60, {}, 25);
    expect(roundTrips).toBeGreaterThanOrEqual(Math.floor(60 / plan.chunk) - 1);
    expect(roundTrips).toBeLessThanOrEqual(Math.ceil(60 / plan.chunk) + 2);
    figures.push(`60 calls at 40/s, default limit (chunk ${plan.chunk}): ${roundTrips} lease calls`);
  });
});
