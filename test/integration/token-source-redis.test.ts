import { randomBytes, randomUUID } from 'node:crypto';
import { Sealer } from '../../src/oauth/sealed';
import { ZohoTokenClient } from '../../src/oauth/token-client';
import { TokenSource, type TokenSourceOptions } from '../../src/oauth/token-source';
import { RedisTokenStore } from '../../src/oauth/token-store/redis-token-store';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../src/redis/connection';
import { redisKeys, type RedisKeys } from '../../src/redis/keys';
import { startZohoSimulator, type ZohoSimulator } from '../../src/simulator/zoho-simulator';
import { eventually } from '../helpers/fleet';
import { capturedLogger } from '../helpers/log-capture';
import { startRedisServer, type RedisTopology } from '../helpers/redis-cluster';
import { ManualClock } from '../helpers/manual-clock';

/**
 * Two TokenSources ("replicas"), each with its own Redis connection, against the simulator, with
 * an injected clock for token lifetimes and back-offs.
 */
interface Replica {
  source: TokenSource;
  lines: string[];
  counts: { localFallback: number; storeError: number };
}

describe('TokenSource replicas sharing a RedisTokenStore', () => {
  let sim: ZohoSimulator;
  let redisUrl: string;
  let keys: RedisKeys;
  let sealer: Sealer;
  const clients: RedisClient[] = [];
  const sources: TokenSource[] = [];
  const stores: RedisTokenStore[] = [];

  beforeAll(async () => {
    sim = await startZohoSimulator();
  });
  afterAll(async () => sim.close());
  beforeEach(() => {
    sim.reset();
    redisUrl = 'redis://127.0.0.1:6379';
    keys = redisKeys(`test:${randomUUID().slice(0, 8)}:`);
    sealer = new Sealer({ current: randomBytes(32) });
  });
  afterEach(async () => {
    for (const s of sources.splice(0)) s.close();
    for (const s of stores.splice(0)) await s.close();
    const [first] = clients;
    if (first?.status === 'ready') await first.del(keys.token.value, keys.token.lock, keys.token.backoff);
    for (const c of clients.splice(0)) await closeRedisClient(c);
  });

  async function replica(clock: ManualClock, options: Partial<TokenSourceOptions> = {}): Promise<Replica> {
    const { log, lines } = capturedLogger();
    const client = await createRedisClient({ url: redisUrl, cluster: false, keyPrefix: keys.prefix }, log);
    clients.push(client);
    const store = await RedisTokenStore.create({ client, keys, sealer, clock, log });
    stores.push(store);
    const counts = { localFallback: 0, storeError: 0 };
    const source = new TokenSource({
      store,
      client: new ZohoTokenClient({ accountsUrl: sim.url, clientId: 'sim-client-id', clientSecret: 'sim-client-secret', refreshToken: 'sim-refresh-token', timeoutMs: 2000 }),
      clock,
      log,
      expirySkewMs: 60_000,
      refreshAheadMs: 300_000,
      endpointTimeoutMs: 2000,
      rateLimitBackoffMs: 120_000,
      proactive: false,
      observer: { localFallback: () => counts.localFallback++, storeError: () => counts.storeError++ },
      ...options,
    });
    sources.push(source);
    return { source, lines, counts };
  }

  it('when one replica meets a rate limit, then the other honours the fleet back-off without calling accounts, until it ends', async () => {
    const clock = new ManualClock();
    const [a, b] = [await replica(clock), await replica(clock)];
    sim.faults.token('rate_limit', 1);

    await expect(a.source.getAccessToken()).rejects.toMatchObject({ code: 'TOKEN_RATE_LIMITED', retryAfterSec: 120 });
    clock.advance(20_000);
    await expect(b.source.getAccessToken()).rejects.toMatchObject({ code: 'TOKEN_RATE_LIMITED', retryAfterSec: 100 });
    await expect(a.source.getAccessToken()).rejects.toMatchObject({ code: 'TOKEN_RATE_LIMITED' });
    expect(sim.tokenCalls()).toBe(1);

    clock.advance(100_000);
    const lease = await b.source.getAccessToken();
    expect(lease.value).toBe(sim.issuedTokens()[0]);
    expect((await a.source.getAccessToken()).value).toBe(lease.value);
    expect(sim.tokenCalls()).toBe(2);
  });

  it('when a back-off starts while a token is still valid, then callers keep that token and nobody calls accounts', async () => {
    const clock = new ManualClock();
    const [a, b] = [await replica(clock), await replica(clock)];
    const first = await a.source.getAccessToken();
    expect((await b.source.getAccessToken()).value).toBe(first.value);

    sim.faults.token('rate_limit', 1);
    clock.advance(3_600_000 - 200_000); // inside the refresh-ahead window
    expect((await a.source.getAccessToken()).value).toBe(first.value); // starts a background refresh: rate-limited
    await eventually('the background refresh met the rate limit', () => a.lines.some((l) => l.includes('the fleet backs off')));
    for (let i = 0; i < 20; i++) {
      expect((await a.source.getAccessToken()).value).toBe(first.value);
      expect((await b.source.getAccessToken()).value).toBe(first.value);
    }
    expect(sim.tokenCalls()).toBe(2);
  });

  it('when minting takes longer than the lock lease, then the holder renews it and the other replica waits instead of minting', async () => {
    const clock = new ManualClock();
    const [a, b] = [await replica(clock, { lockLeaseMs: 300 }), await replica(clock, { lockLeaseMs: 300 })];
    sim.faults.token('slow', 1, { ms: 1000 });

    const holder = a.source.getAccessToken();
    await eventually('a called the token endpoint', () => sim.tokenCalls() === 1);
    const waiter = b.source.getAccessToken();
    const [fromA, fromB] = await Promise.all([holder, waiter]);

    expect(fromB.value).toBe(fromA.value);
    expect(sim.tokenCalls()).toBe(1);
    expect(a.lines.some((l) => l.includes('lock expired while minting'))).toBe(false);
  });

  describe('when Redis goes away', () => {
    let own: RedisTopology;
    beforeAll(async () => {
      own = await startRedisServer();
    });
    afterAll(async () => own.close());

    it('then refreshes fall back to in-process single flight, logged once and counted, and the store is used again once Redis is back', async () => {
      redisUrl = own.url;
      const clock = new ManualClock();
      const a = await replica(clock);
      const first = await a.source.getAccessToken();

      await own.stopAll();
      expect((await a.source.getAccessToken()).value).toBe(first.value); // warm: no Redis needed
      for (let round = 1; round <= 2; round++) {
        const held = (await a.source.getAccessToken()).value;
        await a.source.reportRejected(held);
        clock.advance(1_500); // past the store retry pause, so each round really tries Redis
        const concurrent = await Promise.all(Array.from({ length: 10 }, () => a.source.getAccessToken()));
        expect(new Set(concurrent.map((l) => l.value)).size).toBe(1);
      }
      expect(sim.tokenCalls()).toBe(3);
      expect(a.counts.localFallback).toBe(2);
      expect(a.counts.storeError).toBeGreaterThanOrEqual(2);
      expect(a.lines.filter((l) => l.includes('token store unavailable'))).toHaveLength(1);
      expect(a.source.status().storeAvailable).toBe(false);

      await own.restart();
      await eventually('the connection is back', async () => (await clients[0]!.ping().catch(() => '')) === 'PONG', 10_000);
      await a.source.reportRejected((await a.source.getAccessToken()).value);
      const fresh = await a.source.getAccessToken();
      expect(a.source.status().storeAvailable).toBe(true);
      expect(a.lines.filter((l) => l.includes('token store reachable again'))).toHaveLength(1);
      expect(await clients[0]!.get(keys.token.value)).toMatch(/^\d+\|v1\./);
      // A second replica now finds that token in Redis instead of minting.
      const b = await replica(clock);
      expect((await b.source.getAccessToken()).value).toBe(fresh.value);
      expect(sim.tokenCalls()).toBe(4);
      expect(a.counts.localFallback).toBe(2);
    });
  });
});
