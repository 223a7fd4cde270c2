/**
 * One contract for both idempotency stores: process memory, and a real Redis on loopback (each
 * run under its own random key prefix). Time is an injected clock where the store reads time;
 * Redis expires keys on its own clock, so the TTL test waits for real, briefly.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config/config';
import { createIdempotencyStore } from '../../src/idempotency/create-idempotency-store';
import type { IdempotencyScope, IdempotencyStore } from '../../src/idempotency/idempotency-store';
import { MemoryIdempotencyStore } from '../../src/idempotency/memory-idempotency-store';
import { RedisIdempotencyStore } from '../../src/idempotency/redis-idempotency-store';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../src/redis/connection';
import { redisKeys } from '../../src/redis/keys';
import { capturedLogger } from '../helpers/log-capture';
import { ManualClock } from '../helpers/manual-clock';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const TTL_MS = 300;

interface Subject {
  store: IdempotencyStore;
  clock: ManualClock;
  /** Lets `ms` pass for the TTL (the clock for memory; real time for Redis). */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

const subjects: Array<[string, () => Promise<Subject>]> = [
  [
    'memory',
    async () => {
      const clock = new ManualClock();
      const store = new MemoryIdempotencyStore({ ttlMs: TTL_MS, clock });
      return { store, clock, elapse: async (ms) => clock.advance(ms), close: () => store.close() };
    },
  ],
  [
    'redis',
    async () => {
      const clock = new ManualClock();
      const prefix = `test:${randomUUID()}:`;
      const client: RedisClient = await createRedisClient({ url: REDIS_URL, cluster: false, keyPrefix: prefix }, capturedLogger().log);
      const store = new RedisIdempotencyStore({ client, keys: redisKeys(prefix), ttlMs: TTL_MS, clock });
      return {
        store,
        clock,
        elapse: async (ms) => {
          clock.advance(ms);
          await sleep(ms);
        },
        close: async () => {
          const leftovers = await client.keys(`${prefix}*`);
          if (leftovers.length > 0) await client.del(...leftovers);
          await closeRedisClient(client);
        },
      };
    },
  ],
];

describe.each(subjects)('%s idempotency store', (_name, make) => {
  let s: Subject;
  beforeEach(async () => {
    s = await make();
  });
  afterEach(async () => s.close());

  const scope = (key = 'key-0000001', caller = 'billing'): IdempotencyScope => ({ caller, key });
  const later = () => s.clock.now() + 60_000;

  test('the first begin takes the key; a second with the same body is in flight; another body is a reuse', async () => {
    const first = await s.store.begin(scope(), 'fp-a', later());
    expect(first.kind).toBe('started');
    expect(await s.store.begin(scope(), 'fp-a', later())).toEqual({ kind: 'in_flight' });
    expect(await s.store.begin(scope(), 'fp-b', later())).toEqual({ kind: 'reused' });
  });

  test('after complete, the same body replays the stored answer and another body is still a reuse', async () => {
    const first = await s.store.begin(scope(), 'fp-a', later());
    if (first.kind !== 'started') throw new Error('not started');
    await s.store.complete(scope(), first.claim, { status: 200, body: '{"contacts":{"contact_id":"4000000000000000001"}}' });
    expect(await s.store.begin(scope(), 'fp-a', later())).toEqual({ kind: 'replay', answer: { status: 200, body: '{"contacts":{"contact_id":"4000000000000000001"}}' } });
    expect(await s.store.begin(scope(), 'fp-b', later())).toEqual({ kind: 'reused' });
  });

  test('after release, the key can be taken again', async () => {
    const first = await s.store.begin(scope(), 'fp-a', later());
    if (first.kind !== 'started') throw new Error('not started');
    await s.store.release(scope(), first.claim);
    expect((await s.store.begin(scope(), 'fp-b', later())).kind).toBe('started');
  });

  test('a claim that no longer owns the key can neither complete nor release it', async () => {
    const first = await s.store.begin(scope(), 'fp-a', later());
    if (first.kind !== 'started') throw new Error('not started');
    await s.store.release(scope(), first.claim);
    const second = await s.store.begin(scope(), 'fp-a', later());
    if (second.kind !== 'started') throw new Error('not started');
    await s.store.complete(scope(), first.claim, { status: 500, body: 'stale' });
    await s.store.release(scope(), first.claim);
    expect(await s.store.begin(scope(), 'fp-a', later())).toEqual({ kind: 'in_flight' });
  });

  test('keys of different callers never meet, even when one caller name looks like a prefix of the other', async () => {
    expect((await s.store.begin(scope('k-00000001', 'a'), 'fp', later())).kind).toBe('started');
    expect((await s.store.begin(scope('k-00000001', 'b'), 'fp', later())).kind).toBe('started');
    expect((await s.store.begin(scope('00000001', 'a:k-'), 'fp', later())).kind).toBe('started');
  });

  test('a record still in flight after its request must have ended is reported as abandoned', async () => {
    expect((await s.store.begin(scope(), 'fp-a', s.clock.now() + 100)).kind).toBe('started');
    s.clock.advance(101);
    expect(await s.store.begin(scope(), 'fp-a', later())).toEqual({ kind: 'abandoned' });
  });

  test('records expire after the TTL: the key is free again', async () => {
    const first = await s.store.begin(scope(), 'fp-a', later());
    if (first.kind !== 'started') throw new Error('not started');
    await s.store.complete(scope(), first.claim, { status: 200, body: '{}' });
    await s.elapse(TTL_MS + 50);
    expect((await s.store.begin(scope(), 'fp-b', later())).kind).toBe('started');
  });

  test('of 20 concurrent begins with one key, exactly one starts', async () => {
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => s.store.begin(scope('race-0000001'), 'fp', later())));
    expect(outcomes.filter((o) => o.kind === 'started')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'in_flight')).toHaveLength(19);
  });
});

test('the memory store refuses new keys when full instead of forgetting old ones early', async () => {
  const store = new MemoryIdempotencyStore({ ttlMs: 60_000, clock: new ManualClock(), maxEntries: 2 });
  await store.begin({ caller: 'c', key: 'k-00000001' }, 'fp', Date.now() + 1000);
  await store.begin({ caller: 'c', key: 'k-00000002' }, 'fp', Date.now() + 1000);
  await expect(store.begin({ caller: 'c', key: 'k-00000003' }, 'fp', Date.now() + 1000)).rejects.toThrow('memory store full');
  expect(await store.begin({ caller: 'c', key: 'k-00000001' }, 'fp', Date.now() + 1000)).toEqual({ kind: 'in_flight' });
});

describe('choosing the store', () => {
  const config = (env: Record<string, string> = {}) =>
    loadConfig({ ZOHO_CLIENT_ID: 'id', ZOHO_CLIENT_SECRET: 'secret', ZOHO_REFRESH_TOKEN: 'refresh', ...env });

  test('without REDIS_URL, one process keeps its keys in memory', () => {
    expect(createIdempotencyStore(config(), new ManualClock(), undefined, false)).toBeInstanceOf(MemoryIdempotencyStore);
  });

  test('without REDIS_URL in a node:cluster worker, keyed creates are refused: other workers could not see the keys', async () => {
    const store = createIdempotencyStore(config({ WORKERS: '4' }), new ManualClock(), undefined, true);
    await expect(store.begin({ caller: 'c', key: 'k-00000001' }, 'fp', Date.now() + 1000)).rejects.toThrow(/needs REDIS_URL when WORKERS > 1/);
  });
});
