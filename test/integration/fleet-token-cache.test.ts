import { setTimeout as sleep } from 'node:timers/promises';
import { startZohoSimulator, type ZohoSimulator } from '../../src/simulator/zoho-simulator';
import { allRedisValues, contactStatuses, eventually, startFleet, type Fleet } from '../helpers/fleet';
import { commandCounts, commandDelta, startRedisCluster, startRedisServer, type RedisTopology } from '../helpers/redis-cluster';

/**
 * Three gateways in this process, each with its own Redis connection, sharing one simulator:
 * the fleet must behave as one Zoho client. Every test runs against a private single Redis and
 * against a three-node Redis Cluster, both started and stopped here.
 */
const CONTACT = '/rest/json/zv/contacts/9223372036854775807';

/** Figures the tests measured, printed once at the end (the issue asks for them). */
const figures: string[] = [];
afterAll(() => {
  if (figures.length) process.stdout.write(`\nfleet figures:\n  ${figures.join('\n  ')}\n`);
});

describe.each([
  ['single Redis', startRedisServer],
  ['Redis Cluster', () => startRedisCluster(3)],
])('a fleet of three gateways on a %s', (name, startTopology) => {
  let topology: RedisTopology;
  let sim: ZohoSimulator;
  let fleet: Fleet | null = null;

  beforeAll(async () => {
    topology = await startTopology();
  }, 30_000);
  afterAll(async () => topology.close());
  afterEach(async () => {
    await fleet?.close();
    fleet = null;
    await sim?.close();
  });

  const lastSeq = () => sim.log.at(-1)?.seq ?? 0;
  const issuedTokens = () => sim.issuedTokens();

  it('when three instances take concurrent load on a cold cache, then Zoho sees exactly one token call and Redis holds no token text', async () => {
    sim = await startZohoSimulator();
    fleet = await startFleet(sim, topology);
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => fleet!.get(CONTACT, i % 3)));

    expect(answers.map((a) => a.status)).toEqual(Array(60).fill(200));
    expect(sim.tokenCalls()).toBe(1);
    const used = new Set(sim.contactCalls().map((e) => e.headers.authorization));
    expect(used).toEqual(new Set([`Zoho-oauthtoken ${issuedTokens()[0]}`]));
    figures.push(`${name}: cold cache, 3 instances x 20 concurrent requests -> ${sim.tokenCalls()} token call`);

    const values = await allRedisValues(topology);
    const ours = [...values].filter(([key]) => key.startsWith(fleet!.env.REDIS_KEY_PREFIX));
    expect(ours.map(([key]) => key)).toContain(`${fleet.env.REDIS_KEY_PREFIX}{token}:value`);
    for (const [, value] of values) {
      expect(value).not.toContain(issuedTokens()[0]!);
      // Not even a fragment: the simulator's tokens are 1000.<hex>.<hex>.
      for (const part of issuedTokens()[0]!.split('.').filter((p) => p.length >= 16)) expect(value).not.toContain(part);
    }
  });

  it('when tokens live 3 s, then over 10 s of steady traffic Zoho sees zero 401s and about one mint per lifetime', async () => {
    sim = await startZohoSimulator({ tokenLifetimeSec: 3 });
    fleet = await startFleet(sim, topology);
    const end = Date.now() + 10_000;
    const statuses: number[] = [];
    await Promise.all(
      fleet.members.map(async (_m, i) => {
        while (Date.now() < end) {
          statuses.push((await fleet!.get(CONTACT, i)).status);
          await sleep(40);
        }
      }),
    );

    expect(statuses.length).toBeGreaterThan(150);
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(contactStatuses(sim).filter((s) => s === 401)).toHaveLength(0);
    // Refreshed ahead of expiry (at 75% of the lifetime, 2.25 s): 10 s / 2.25 s + the first one.
    // Without the fleet cache each of the three instances would mint on its own (about 15).
    expect(sim.tokenCalls()).toBeGreaterThanOrEqual(4);
    expect(sim.tokenCalls()).toBeLessThanOrEqual(7);
    // Callers never waited for a refresh after the cold start: only each instance's first call did.
    const waited = fleet.members.map((m) => m.logLines.filter((l) => l.includes('"token_refreshed":true')).length);
    expect(waited.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(3);
    figures.push(`${name}: 3 s tokens, 10 s of traffic, ${statuses.length} requests -> ${sim.tokenCalls()} token calls, 0 upstream 401s, callers that waited for a token: ${waited.join('+')}`);
  }, 30_000);

  it('when Zoho revokes the token, then the caller gets 200 after exactly one refresh and one retry, and the other instances drop it too', async () => {
    sim = await startZohoSimulator();
    fleet = await startFleet(sim, topology);
    for (let i = 0; i < 3; i++) expect((await fleet.get(CONTACT, i)).status).toBe(200);
    expect(sim.tokenCalls()).toBe(1);

    sim.revokeToken(issuedTokens()[0]!);
    const before = lastSeq();
    const answer = await fleet.get(CONTACT, 0);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 'SUCCESS' });
    expect(sim.tokenCalls()).toBe(2);
    expect(contactStatuses(sim, before)).toEqual([401, 200]);

    // The invalidation reached the other replicas by pub/sub: they drop the token before using it.
    await eventually('the other instances dropped the revoked token', () => fleet!.members.slice(1).every((m) => !m.gateway.tokens.status().hasToken));
    const afterFirst = lastSeq();
    for (const i of [1, 2]) expect((await fleet.get(CONTACT, i)).status).toBe(200);
    expect(contactStatuses(sim, afterFirst)).toEqual([200, 200]);
    expect(sim.tokenCalls()).toBe(2);
    figures.push(`${name}: revoked token -> 1 refresh, upstream answers for the caller [401, 200], other instances 0 more 401s, token calls in total 2`);
  });

  it('when accounts rate-limit a cold cache, then at most 3 token calls over 30 caller requests, each answered 503 with Retry-After', async () => {
    sim = await startZohoSimulator();
    sim.faults.token('rate_limit', Infinity);
    fleet = await startFleet(sim, topology, 3, { TOKEN_RATE_LIMIT_BACKOFF_SEC: '30' });
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => fleet!.get(CONTACT, i % 3)));

    for (const a of answers) {
      expect(a.status).toBe(503);
      expect(JSON.parse(a.body)).toMatchObject({ code: 'TOKEN_RATE_LIMITED' });
      const retryAfter = Number(a.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(30);
    }
    expect(sim.tokenCalls()).toBeLessThanOrEqual(3);
    expect(sim.contactCalls()).toHaveLength(0);
    // The back-off is the fleet's: another request a moment later still does not reach accounts.
    expect((await fleet.get(CONTACT, 2)).status).toBe(503);
    const calls = sim.tokenCalls();
    expect(calls).toBeLessThanOrEqual(3);
    figures.push(`${name}: accounts rate-limited, 31 caller requests -> ${calls} token call(s), all 503 with Retry-After`);
  });

  it('when Redis stops mid-traffic, then requests keep succeeding (refreshing in process), and Redis is used again once it is back', async () => {
    sim = await startZohoSimulator();
    fleet = await startFleet(sim, topology);
    for (let i = 0; i < 3; i++) expect((await fleet.get(CONTACT, i)).status).toBe(200);
    expect(sim.tokenCalls()).toBe(1);

    await topology.stopAll();
    const during: number[] = [];
    for (let i = 0; i < 30; i++) during.push((await fleet.get(CONTACT)).status);
    // A refresh is needed while Redis is down: each instance refreshes once, in-process single flight.
    sim.revokeAllTokens();
    const burst = await Promise.all(Array.from({ length: 30 }, (_, i) => fleet!.get(CONTACT, i % 3)));
    during.push(...burst.map((a) => a.status));
    expect(new Set(during)).toEqual(new Set([200]));
    const mintsDuringOutage = sim.tokenCalls() - 1;
    expect(mintsDuringOutage).toBeGreaterThanOrEqual(1);
    expect(mintsDuringOutage).toBeLessThanOrEqual(3);
    for (const m of fleet.members) {
      const warnings = m.logLines.filter((l) => l.includes('token store unavailable'));
      if (m.logLines.some((l) => l.includes('minted a Zoho access token'))) expect(warnings.length).toBeLessThanOrEqual(1);
    }

    await topology.restart();
    await eventually('every instance reconnected to Redis', async () => {
      const pings = await Promise.all(fleet!.members.map((m) => m.gateway.redis!.ping().catch(() => 'down')));
      return pings.every((p) => p === 'PONG');
    }, 15_000);

    // Back in business: one mint for the whole fleet again, shared through the (restarted, empty) Redis.
    sim.revokeAllTokens();
    const callsBefore = sim.tokenCalls();
    expect((await fleet.get(CONTACT, 0)).status).toBe(200);
    for (const i of [1, 2]) expect((await fleet.get(CONTACT, i)).status).toBe(200);
    expect(sim.tokenCalls() - callsBefore).toBe(1);
    const values = await allRedisValues(topology);
    expect(values.get(`${fleet.env.REDIS_KEY_PREFIX}{token}:value`)).toMatch(/^\d+\|v1\./);
    expect(fleet.members.some((m) => m.logLines.some((l) => l.includes('token store reachable again')))).toBe(true);
    figures.push(`${name}: Redis stopped, ${during.length} requests all 200, ${mintsDuringOutage} in-process mint(s) during the outage, 1 fleet mint after it came back`);
  }, 40_000);

  it('when the cache is warm, then 1,000 requests cost zero Redis commands and zero token calls', async () => {
    sim = await startZohoSimulator();
    fleet = await startFleet(sim, topology);
    for (let i = 0; i < 3; i++) expect((await fleet.get(CONTACT, i)).status).toBe(200);
    const tokenCalls = sim.tokenCalls();
    const before = await commandCounts(topology);

    let sent = 0;
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        while (sent < 1000) {
          sent++;
          statuses.push((await fleet!.get(CONTACT)).status);
        }
      }),
    );
    const after = await commandCounts(topology);

    expect(statuses).toHaveLength(1000);
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(sim.tokenCalls()).toBe(tokenCalls);
    const delta = commandDelta(before, after);
    // INFO is this measurement itself; CLUSTER SLOTS is ioredis's periodic topology refresh (not per request).
    const perRequest = Object.fromEntries(Object.entries(delta).filter(([cmd]) => cmd !== 'info' && !cmd.startsWith('cluster|')));
    expect(perRequest).toEqual({});
    figures.push(`${name}: warm path, 1,000 requests -> INFO commandstats delta ${JSON.stringify(delta)} (0 commands per request)`);
  });
});
