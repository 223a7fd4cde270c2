import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { startZohoSimulator, type ZohoSimulator } from '../../src/simulator/zoho-simulator';
import { fleetEnv } from '../helpers/fleet';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process';
import { simulatorEnv } from '../helpers/harness';
import { startRedisServer, type RedisTopology } from '../helpers/redis-cluster';

/**
 * WORKERS: the real entry point (src/main.ts) as a node:cluster primary with two workers behind
 * one port, as deployed. With Redis the workers are one Zoho client; without, one each.
 */
const CONTACT = '/rest/json/zv/contacts/9223372036854775807';

/** One call on a fresh connection, so node:cluster's round-robin spreads calls over the workers. */
function getOnNewConnection(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${url}${CONTACT}`, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** The worker processes under the primary (Linux /proc): the entry point again (not tsx's esbuild). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== pid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('src/main')) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function eventually(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function listeningWorkers(gateway: GatewayProcess): number[] {
  return gateway
    .stdout()
    .split('\n')
    .filter((line) => line.includes('"msg":"zoho-voice-gateway listening"'))
    .map((line) => (JSON.parse(line) as { worker: number }).worker);
}

describe('WORKERS=2 (node:cluster)', () => {
  let sim: ZohoSimulator;
  let redis: RedisTopology;
  const started: GatewayProcess[] = [];

  beforeAll(async () => {
    [sim, redis] = await Promise.all([startZohoSimulator(), startRedisServer()]);
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((g) => g.stop('SIGKILL')));
    sim.reset();
  });
  afterAll(async () => {
    await Promise.all([sim?.close(), redis?.close()]);
  });

  async function start(env: Record<string, string>): Promise<GatewayProcess> {
    const gateway = await spawnGateway(simulatorEnv(sim.url, { WORKERS: '2', RATE_LIMIT_RPS: '0', ...env }));
    started.push(gateway);
    await eventually(() => listeningWorkers(gateway).length === 2);
    return gateway;
  }

  test('when REDIS_URL is set, then two workers serve one port and the whole gateway mints one token', async () => {
    const gateway = await start(fleetEnv(redis));
    expect(childrenOf(gateway.child.pid!)).toHaveLength(2);
    expect(gateway.stdout()).toContain('they share the access token');

    const answers = await Promise.all(Array.from({ length: 20 }, () => getOnNewConnection(gateway.url)));
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('"contact_id":"9223372036854775807"');
    }
    expect(sim.tokenCalls()).toBe(1);
  });

  test('when there is no Redis, then the primary warns and each worker mints its own token', async () => {
    const gateway = await start({});
    expect(gateway.stdout()).toContain('WITHOUT REDIS_URL: each mints its own access token (2 Zoho clients)');

    const answers = await Promise.all(Array.from({ length: 20 }, () => getOnNewConnection(gateway.url)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    // Round-robin gave both workers calls; neither could see the other's token.
    expect(sim.tokenCalls()).toBe(2);
  });

  test('when a worker dies, then another takes its place and calls keep being answered', async () => {
    const gateway = await start(fleetEnv(redis));
    const [victim] = childrenOf(gateway.child.pid!);
    process.kill(victim!, 'SIGKILL');
    await eventually(() => listeningWorkers(gateway).length === 3);
    expect(gateway.stdout()).toContain('a worker died; starting another');
    expect(childrenOf(gateway.child.pid!)).toHaveLength(2);
    const answers = await Promise.all(Array.from({ length: 10 }, () => getOnNewConnection(gateway.url)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
  });

  test('when the primary gets SIGTERM, then every worker drains and stops and it exits 0', async () => {
    const gateway = await start(fleetEnv(redis));
    const workers = childrenOf(gateway.child.pid!);
    expect(await gateway.stop('SIGTERM')).toBe(0);
    expect(gateway.stdout().match(/"msg":"stopped"/g)).toHaveLength(2);
    for (const pid of workers) expect(isAlive(pid)).toBe(false);
  });

  test('when the workers cannot start (Redis unreachable), then the primary exits 1 without a restart loop', async () => {
    const env = simulatorEnv(sim.url, { ...fleetEnv(redis), WORKERS: '2', REDIS_URL: 'redis://127.0.0.1:1' });
    await expect(spawnGateway(env, 20_000)).rejects.toThrow(/exited with 1 before listening/);
  });
});
