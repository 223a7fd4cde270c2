import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Clock } from '../../src/oauth/clock';
import { Sealer } from '../../src/oauth/sealed';
import { MemoryTokenStore } from '../../src/oauth/token-store/memory-token-store';
import { RedisTokenStore } from '../../src/oauth/token-store/redis-token-store';
import { StoreUnavailableError, type StoredToken, type TokenStore } from '../../src/oauth/token-store/token-store';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../src/redis/connection';
import { redisKeys } from '../../src/redis/keys';
import { capturedLogger } from '../helpers/log-capture';
import { ManualClock } from '../helpers/manual-clock';

/** What one store under test needs: the store, a second handle on the same state, and a way to let time pass. */
interface Subject {
  store: TokenStore;
  /** Another replica's view of the same store (the same object for the memory store). */
  peer: TokenStore;
  clock: ManualClock;
  /**
   * Lets `ms` pass for leases. The injected clock covers the memory store; Redis expires a lock's
   * PX on its own clock, so there the test also waits that long for real (only lease tests use it).
   */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const token = (clock: Clock, overrides: Partial<StoredToken> = {}): StoredToken => ({
  value: `1000.${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`,
  mintedAt: clock.now(),
  expiresAt: clock.now() + 3_600_000,
  ...overrides,
});

async function memorySubject(): Promise<Subject> {
  const clock = new ManualClock();
  const store = new MemoryTokenStore(clock);
  return {
    store,
    peer: store,
    clock,
    elapse: async (ms) => clock.advance(ms),
    close: () => store.close(),
  };
}

async function redisSubject(): Promise<Subject> {
  const clock = new ManualClock();
  const keys = redisKeys(`test:${randomUUID()}:`);
  const sealer = new Sealer({ current: randomBytes(32) });
  const { log } = capturedLogger();
  const clients: RedisClient[] = [];
  const build = async () => {
    const client = await createRedisClient({ url: REDIS_URL, cluster: false, keyPrefix: keys.prefix }, log);
    clients.push(client);
    return RedisTokenStore.create({ client, keys, sealer, clock, log });
  };
  const store = await build();
  const peer = await build();
  return {
    store,
    peer,
    clock,
    elapse: async (ms) => {
      clock.advance(ms);
      await sleep(ms);
    },
    close: async () => {
      await store.close();
      await peer.close();
      await clients[0]!.del(keys.token.value, keys.token.lock, keys.token.backoff);
      await Promise.all(clients.map((c) => closeRedisClient(c)));
    },
  };
}

describe.each([
  ['MemoryTokenStore', memorySubject],
  ['RedisTokenStore (real Redis)', redisSubject],
])('TokenStore contract: %s', (_name, makeSubject) => {
  let s: Subject;
  beforeEach(async () => {
    s = await makeSubject();
  });
  afterEach(async () => s.close());

  describe('the token', () => {
    it('when nothing was written, then read gives null', async () => {
      expect(await s.store.read()).toBeNull();
    });

    it('when a token is written, then every replica reads the same value, expiry and mint time', async () => {
      const t = token(s.clock);
      await s.store.write(t);
      expect(await s.store.read()).toEqual(t);
      expect(await s.peer.read()).toEqual(t);
    });

    it('when the clock passes expiresAt, then read gives null', async () => {
      const t = token(s.clock, { expiresAt: s.clock.now() + 60_000 });
      await s.store.write(t);
      s.clock.advance(59_999);
      expect(await s.store.read()).toEqual(t);
      s.clock.advance(1);
      expect(await s.store.read()).toBeNull();
    });

    it('when an older token is written after a newer one, then the newer one stays', async () => {
      const newer = token(s.clock);
      const older = token(s.clock, { mintedAt: s.clock.now() - 1000 });
      await s.store.write(newer);
      await s.peer.write(older);
      expect(await s.store.read()).toEqual(newer);
    });

    it('when a newer token is written, then it replaces the older one', async () => {
      const older = token(s.clock);
      await s.store.write(older);
      s.clock.advance(10);
      const newer = token(s.clock);
      await s.peer.write(newer);
      expect(await s.store.read()).toEqual(newer);
    });
  });

  describe('invalidate', () => {
    it('when the store holds exactly that token, then it is deleted and invalidate says so', async () => {
      const t = token(s.clock);
      await s.store.write(t);
      expect(await s.peer.invalidate(t.value)).toBe(true);
      expect(await s.store.read()).toBeNull();
    });

    it('when a replica already wrote a newer token, then invalidating the old one keeps the newer one', async () => {
      const old = token(s.clock);
      await s.store.write(old);
      s.clock.advance(10);
      const newer = token(s.clock);
      await s.peer.write(newer);
      expect(await s.store.invalidate(old.value)).toBe(false);
      expect(await s.store.read()).toEqual(newer);
    });

    it('when the store is empty, then invalidate is a no-op', async () => {
      expect(await s.store.invalidate('1000.nothing')).toBe(false);
      expect(await s.store.read()).toBeNull();
    });
  });

  describe('the refresh lock', () => {
    it('when one owner holds it, then nobody else gets it until the owner releases it', async () => {
      expect(await s.store.tryLock('a', 10_000)).toBe(true);
      expect(await s.peer.tryLock('b', 10_000)).toBe(false);
      await s.peer.unlock('b'); // not b's: must not free a's lock
      expect(await s.peer.tryLock('b', 10_000)).toBe(false);
      await s.store.unlock('a');
      expect(await s.peer.tryLock('b', 10_000)).toBe(true);
    });

    it('when the lease runs out, then another owner gets the lock, and the late owner cannot release it', async () => {
      expect(await s.store.tryLock('a', 100)).toBe(true);
      await s.elapse(150);
      expect(await s.peer.tryLock('b', 10_000)).toBe(true);
      await s.store.unlock('a');
      expect(await s.store.tryLock('c', 10_000)).toBe(false);
    });

    it('when the owner renews the lease, then it outlives the first lease; a non-owner cannot renew', async () => {
      expect(await s.store.tryLock('a', 200)).toBe(true);
      expect(await s.peer.renewLock('b', 10_000)).toBe(false);
      await s.elapse(100);
      expect(await s.store.renewLock('a', 400)).toBe(true);
      await s.elapse(150); // 250 ms after taking it: past the first lease, inside the renewed one
      expect(await s.peer.tryLock('b', 10_000)).toBe(false);
      await s.store.unlock('a');
      expect(await s.store.renewLock('a', 400)).toBe(false);
    });
  });

  describe('the accounts back-off', () => {
    it('when none was recorded, then readBackoff gives 0', async () => {
      expect(await s.store.readBackoff()).toBe(0);
    });

    it('when a back-off is recorded, then every replica sees it until it passes, and a shorter one never shortens it', async () => {
      const until = s.clock.now() + 60_000;
      await s.store.writeBackoff(until);
      await s.peer.writeBackoff(s.clock.now() + 1_000);
      expect(await s.peer.readBackoff()).toBe(until);
      s.clock.advance(59_999);
      expect(await s.store.readBackoff()).toBe(until);
      s.clock.advance(1);
      expect(await s.store.readBackoff()).toBe(0);
    });

    it('when a longer back-off is recorded, then it replaces the shorter one', async () => {
      await s.store.writeBackoff(s.clock.now() + 1_000);
      await s.peer.writeBackoff(s.clock.now() + 5_000);
      expect(await s.store.readBackoff()).toBe(s.clock.now() + 5_000);
    });
  });

  describe('waiting for a token', () => {
    it('when another replica writes a token, then a waiter wakes long before its timeout', async () => {
      const started = Date.now();
      const waiting = s.store.waitForToken(5_000);
      await sleep(20);
      await s.peer.write(token(s.clock));
      await waiting;
      expect(Date.now() - started).toBeLessThan(1_000);
    });

    it('when the lock holder releases without a token, then a waiter wakes too (to take the lock itself)', async () => {
      await s.peer.tryLock('holder', 10_000);
      const started = Date.now();
      const waiting = s.store.waitForToken(5_000);
      await sleep(20);
      await s.peer.unlock('holder');
      await waiting;
      expect(Date.now() - started).toBeLessThan(1_000);
    });

    it('when nothing happens, then the wait ends at its timeout', async () => {
      const started = Date.now();
      await s.store.waitForToken(60);
      expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    });
  });
});

describe('RedisTokenStore specifics', () => {
  const { log, lines } = capturedLogger();
  let client: RedisClient;
  let raw: Redis;
  beforeAll(async () => {
    client = await createRedisClient({ url: REDIS_URL, cluster: false, keyPrefix: 'test:' }, log);
    raw = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await closeRedisClient(client);
    raw.disconnect();
  });

  async function storeWith(keys: ReturnType<typeof redisKeys>, sealer: Sealer, clock: Clock = new ManualClock()): Promise<RedisTokenStore> {
    return RedisTokenStore.create({ client, keys, sealer, clock, log });
  }

  it('when a token is written, then no Redis value and no pub/sub message contains its text', async () => {
    const keys = redisKeys(`test:${randomUUID()}:`);
    const store = await storeWith(keys, new Sealer({ current: randomBytes(32) }));
    const listener = raw.duplicate();
    const messages: string[] = [];
    await listener.subscribe(keys.token.written);
    listener.on('message', (_c: string, m: string) => messages.push(m));
    const clock = new ManualClock();
    const t = token(clock);
    await store.write(t);
    await store.writeBackoff(clock.now() + 60_000);
    await store.tryLock('owner', 10_000);
    const stored = await raw.mget(keys.token.value, keys.token.lock, keys.token.backoff);
    await store.invalidate(t.value);
    await store.unlock('owner');
    await sleep(50);
    listener.disconnect();

    expect(stored[0]).toMatch(/^\d+\|v1\./);
    expect(stored.join('\n')).not.toContain(t.value);
    expect(stored.join('\n')).not.toContain(t.value.split('.')[1]!);
    expect(messages.length).toBeGreaterThanOrEqual(3);
    expect(messages.join('\n')).not.toContain(t.value.split('.')[1]!);
    await store.close();
    await raw.del(keys.token.backoff);
  });

  it('when the encryption key is rotated, then a token sealed with the previous key is still read', async () => {
    const keys = redisKeys(`test:${randomUUID()}:`);
    const oldKey = randomBytes(32);
    const before = await storeWith(keys, new Sealer({ current: oldKey }));
    const t = token(new ManualClock());
    await before.write(t);
    const after = await storeWith(keys, new Sealer({ current: randomBytes(32), previous: oldKey }));
    expect(await after.read()).toEqual(t);
    await before.close();
    await after.close();
    await raw.del(keys.token.value);
  });

  it('when the token was sealed with a key this replica does not know, then read gives null and says why once', async () => {
    const keys = redisKeys(`test:${randomUUID()}:`);
    const writer = await storeWith(keys, new Sealer({ current: randomBytes(32) }));
    await writer.write(token(new ManualClock()));
    const stranger = await storeWith(keys, new Sealer({ current: randomBytes(32) }));
    expect(await stranger.read()).toBeNull();
    expect(await stranger.read()).toBeNull();
    expect(lines.filter((l) => l.includes('cannot be opened') && l.includes('"reason":"unknown_key"'))).toHaveLength(1);
    await writer.close();
    await stranger.close();
    await raw.del(keys.token.value);
  });

  it('when Redis cannot be reached, then every operation fails with StoreUnavailableError (no ioredis error escapes)', async () => {
    const keys = redisKeys(`test:${randomUUID()}:`);
    const own = await createRedisClient({ url: REDIS_URL, cluster: false, keyPrefix: keys.prefix }, log);
    const store = await RedisTokenStore.create({ client: own, keys, sealer: new Sealer({ current: randomBytes(32) }), clock: new ManualClock(), log });
    own.disconnect();
    const clock = new ManualClock();
    const operations: Array<() => Promise<unknown>> = [
      () => store.read(),
      () => store.write(token(clock)),
      () => store.invalidate('x'),
      () => store.tryLock('a', 1000),
      () => store.renewLock('a', 1000),
      () => store.unlock('a'),
      () => store.readBackoff(),
      () => store.writeBackoff(clock.now() + 1000),
    ];
    for (const op of operations) await expect(op()).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.close();
  });
});
