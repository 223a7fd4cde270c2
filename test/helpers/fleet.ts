import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ZohoSimulator } from '../../src/simulator/zoho-simulator';
import { startHarness, type Harness } from './harness';
import type { RedisTopology } from './redis-cluster';

/** The environment every replica of one fleet shares: the same Redis, prefix and encryption key. */
export function fleetEnv(topology: RedisTopology, extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: topology.url,
    REDIS_CLUSTER: String(topology.cluster),
    REDIS_KEY_PREFIX: `fleet:${randomUUID().slice(0, 8)}:`,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    // The per-caller rate limit would be shared through Redis too; these tests look at the token alone.
    RATE_LIMIT_RPS: '0',
    ...extra,
  };
}

/** Several gateways in this process, each with its own Redis connection, in front of one simulator. */
export interface Fleet {
  readonly members: Harness[];
  readonly env: Record<string, string>;
  /** GET on member `i` (round robin when omitted); resolves status, headers and body text. */
  get(path: string, i?: number): Promise<{ status: number; headers: Headers; body: string }>;
  close(): Promise<void>;
}

export async function startFleet(sim: ZohoSimulator, topology: RedisTopology, size = 3, extra: Record<string, string> = {}): Promise<Fleet> {
  const env = fleetEnv(topology, extra);
  const started = await Promise.allSettled(Array.from({ length: size }, () => startHarness({ simulator: sim, env })));
  const members = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(members.map((m) => m.close()));
    throw failed.reason;
  }
  let next = 0;
  return {
    members,
    env,
    get: async (path, i) => {
      const member = members[i ?? next++ % members.length]!;
      const res = await fetch(`${member.url}${path}`);
      return { status: res.status, headers: res.headers, body: await res.text() };
    },
    close: async () => {
      await Promise.all(members.map((m) => m.close()));
    },
  };
}

/** Every key and string value held by the topology's nodes (each node scanned for the keys it owns). */
export async function allRedisValues(topology: RedisTopology): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const node of topology.nodes) {
    const redis = new Redis({ port: node.port, host: '127.0.0.1', lazyConnect: true });
    await redis.connect();
    try {
      for (const key of await redis.keys('*')) {
        if ((await redis.type(key)) === 'string') values.set(key, (await redis.get(key)) ?? '');
        else values.set(key, `<${await redis.type(key)}>`);
      }
    } finally {
      redis.disconnect();
    }
  }
  return values;
}

/** Contact calls the simulator answered with this status. */
export function contactStatuses(sim: ZohoSimulator, fromSeq = 0): number[] {
  return sim
    .contactCalls()
    .filter((e) => e.seq > fromSeq)
    .map((e) => e.status ?? 0);
}

/** Waits (bounded) until `check` holds; fails with `what` otherwise. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
