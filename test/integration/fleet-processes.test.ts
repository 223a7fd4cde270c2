import { startZohoSimulator, type ZohoSimulator } from '../../src/simulator/zoho-simulator';
import { contactStatuses, eventually, fleetEnv } from '../helpers/fleet';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process';
import { simulatorEnv } from '../helpers/harness';
import { startRedisCluster, startRedisServer, type RedisTopology } from '../helpers/redis-cluster';

/**
 * The fleet as deployed: three gateway processes (the real entry point, src/main.ts), each with its
 * own Redis connection, in front of one simulator. Against a single Redis and a Redis Cluster.
 */
const CONTACT = '/rest/json/zv/contacts/1234567890123456789';

async function get(url: string): Promise<number> {
  const res = await fetch(`${url}${CONTACT}`);
  await res.arrayBuffer();
  return res.status;
}

const figures: string[] = [];
afterAll(() => {
  if (figures.length) process.stdout.write(`\nfleet process figures:\n  ${figures.join('\n  ')}\n`);
});

describe.each([
  ['single Redis', startRedisServer],
  ['Redis Cluster', () => startRedisCluster(3)],
])('three gateway processes on a %s', (name, startTopology) => {
  let topology: RedisTopology;
  let sim: ZohoSimulator;
  let gateways: GatewayProcess[] = [];

  beforeAll(async () => {
    [topology, sim] = await Promise.all([startTopology(), startZohoSimulator()]);
    // A short token-endpoint timeout makes the refresh lock's lease short (timeout + 2 s), for the crash test.
    const env = simulatorEnv(sim.url, fleetEnv(topology, { TOKEN_ENDPOINT_TIMEOUT_MS: '1000', LOG_LEVEL: 'info' }));
    gateways = await Promise.all([0, 1, 2].map(() => spawnGateway(env)));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop('SIGKILL')));
    await Promise.all([topology?.close(), sim?.close()]);
  });

  it('when the processes take concurrent load on a cold cache, then Zoho sees exactly one token call', async () => {
    const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => get(gateways[i % 3]!.url)));
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(sim.tokenCalls()).toBe(1);
    expect(new Set(sim.contactCalls().map((e) => e.headers.authorization))).toEqual(new Set([`Zoho-oauthtoken ${sim.issuedTokens()[0]}`]));
    figures.push(`${name}: 3 processes x 20 concurrent requests on a cold cache -> ${sim.tokenCalls()} token call`);
  });

  it('when Zoho revokes the token, then one process refreshes for all: one more token call, and callers get 200', async () => {
    const before = sim.log.at(-1)!.seq;
    sim.revokeToken(sim.issuedTokens()[0]!);
    expect(await get(gateways[0]!.url)).toBe(200);
    expect(contactStatuses(sim, before)).toEqual([401, 200]);
    const statuses = await Promise.all([1, 2, 1, 2].map((i) => get(gateways[i]!.url)));
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(sim.tokenCalls()).toBe(2);
    // Pub/sub usually beats the next request, so the other processes meet no 401 at all; at most one each.
    const unauthorized = contactStatuses(sim, before).filter((s) => s === 401).length;
    expect(unauthorized).toBeLessThanOrEqual(3);
    figures.push(`${name}: revoked token across processes -> 1 more token call, ${unauthorized} upstream 401(s) in total`);
  });

  it('when the process holding the refresh lock crashes mid-refresh, then the lock frees within its lease and another process mints', async () => {
    sim.revokeAllTokens();
    sim.faults.token('slow', 1, { ms: 900 });
    const calls = sim.tokenCalls();
    const holder = gateways[0]!;
    void get(holder.url).catch(() => undefined);
    await eventually('the holder called the token endpoint', () => sim.tokenCalls() === calls + 1);
    await holder.stop('SIGKILL');

    const started = Date.now();
    expect(await get(gateways[1]!.url)).toBe(200);
    const waitedMs = Date.now() - started;
    expect(sim.tokenCalls()).toBe(calls + 2);
    // The lease is the endpoint timeout + 2 s (3 s here): the survivor waited for it, not for ever.
    expect(waitedMs).toBeLessThan(6_000);
    expect(await get(gateways[2]!.url)).toBe(200);
    expect(sim.tokenCalls()).toBe(calls + 2);
    figures.push(`${name}: lock holder killed mid-refresh -> survivor served after ${waitedMs} ms, 1 more token call`);
  }, 20_000);
});

describe('a gateway process whose Redis cannot be used', () => {
  it('when REDIS_URL points where nothing listens, then it refuses to start and says so', async () => {
    const sim = await startZohoSimulator();
    try {
      const env = simulatorEnv(sim.url, { REDIS_URL: 'redis://127.0.0.1:1', TOKEN_ENCRYPTION_KEY: 'ab'.repeat(32) });
      await expect(spawnGateway(env)).rejects.toThrow(/exited with 1[\s\S]*Redis at redis:\/\/127\.0\.0\.1:1: connection refused/);
    } finally {
      await sim.close();
    }
  });
});
