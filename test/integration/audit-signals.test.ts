/**
 * The real entry point in its own process, driven by signals as an operator or orchestrator
 * would: SIGHUP reloads the callers file without dropping traffic, SIGTERM loses no audit line.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { startZohoSimulator, type ZohoSimulator } from '../../src/simulator/zoho-simulator';
import { bearer, callersFixture, type CallersFixture } from '../helpers/callers';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process';
import { simulatorEnv } from '../helpers/harness';

const STATUSES = '/rest/json/zv/contacts/contact_status';

let sim: ZohoSimulator;
let callers: CallersFixture;
let dir: string;
beforeAll(async () => {
  sim = await startZohoSimulator();
  callers = callersFixture([{ name: 'steady', scopes: ['zohovoice.contacts.READ'] }]);
  dir = mkdtempSync(path.join(tmpdir(), 'zvgw-signals-'));
});
afterAll(async () => {
  await sim.close();
  callers.remove();
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

test('SIGHUP: a new caller is loaded, a bad file keeps the old callers and is logged, and steady traffic never fails', async () => {
  const gateway: GatewayProcess = await spawnGateway({ ...simulatorEnv(sim.url), GATEWAY_CALLERS_FILE: callers.file, RATE_LIMIT_RPS: '0' });
  try {
    const steady = () => request(gateway.url).get(STATUSES).set('Authorization', bearer(callers.keys.steady!));
    const statuses: number[] = [];
    let stop = false;
    const traffic = (async () => {
      while (!stop) statuses.push((await steady()).status);
    })();
    /** Lets a few more steady calls through, so traffic spans every reload. */
    const moreTraffic = async () => {
      const seen = statuses.length;
      await until('more steady traffic', () => statuses.length >= seen + 5);
    };
    await moreTraffic();

    callers.write([
      { name: 'steady', scopes: ['zohovoice.contacts.READ'] },
      { name: 'newcomer', scopes: ['zohovoice.contacts.READ'] },
    ]);
    const newcomer = () => request(gateway.url).get(STATUSES).set('Authorization', bearer(callers.keys.newcomer!));
    expect((await newcomer()).status).toBe(401);
    gateway.child.kill('SIGHUP');
    await until('the newcomer to be let in', async () => (await newcomer()).status === 200);
    await moreTraffic();

    callers.writeText('[{"name": "steady", "keySha256": "zzz", "scopes": ["zohovoice.contacts.READ"]}]');
    gateway.child.kill('SIGHUP');
    await until('the refusal to be logged', () => gateway.stdout().includes('callers file NOT reloaded'));
    await newcomer().expect(200);
    await moreTraffic();

    stop = true;
    await traffic;
    expect(statuses.length).toBeGreaterThanOrEqual(15);
    expect(new Set(statuses)).toEqual(new Set([200]));
    const refusal = gateway
      .stdout()
      .split('\n')
      .filter((l) => l.includes('callers file NOT reloaded'))
      .map((l) => JSON.parse(l));
    expect(refusal).toEqual([
      expect.objectContaining({
        level: 'error',
        problems: ['callers[0].keySha256: must be the SHA-256 of the key: 64 hex characters (npm run caller:new prints it)'],
        callers_in_use: ['steady', 'newcomer'],
      }),
    ]);
    expect(gateway.child.exitCode).toBeNull();
  } finally {
    expect(await gateway.stop('SIGTERM')).toBe(0);
  }
});

test.each(['file', 'stdout'] as const)('SIGTERM with calls in flight: every call answered gets its audit line (%s), none lost from the buffer', async (where) => {
  const file = path.join(dir, `audit-${where}.log`);
  callers.write([{ name: 'steady', scopes: ['zohovoice.contacts.READ'] }]);
  const gateway = await spawnGateway({
    ...simulatorEnv(sim.url),
    GATEWAY_CALLERS_FILE: callers.file,
    RATE_LIMIT_RPS: '0',
    SHUTDOWN_GRACE_MS: '5000',
    ...(where === 'file' ? { AUDIT_LOG_FILE: file } : {}),
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const auth = bearer(callers.keys.steady!);
  const fast = 400;
  for (let i = 0; i < fast; i += 40) {
    const batch = await Promise.all(Array.from({ length: 40 }, () => request(gateway.url).get(STATUSES).agent(agent).set('Authorization', auth)));
    expect(batch.map((r) => r.status)).toEqual(Array(40).fill(200));
  }
  // Three calls Zoho holds for 400 ms: in flight when SIGTERM arrives, finished within the grace period.
  const logStart = sim.log.length;
  sim.faults.contacts('stall', 3, { method: 'GET', ms: 400 });
  const slow = Array.from({ length: 3 }, () => request(gateway.url).get(STATUSES).agent(agent).set('Authorization', auth));
  const slowDone = Promise.all(slow.map((r) => r.then((res) => res.status)));
  await until('the slow calls to reach Zoho', () => sim.log.slice(logStart).filter((e) => e.fault === 'stall').length >= 3);
  const exitCode = gateway.stop('SIGTERM');
  expect(await slowDone).toEqual([200, 200, 200]);
  expect(await exitCode).toBe(0);
  agent.destroy();

  const text = where === 'file' ? (existsSync(file) ? readFileSync(file, 'utf8') : '') : gateway.stdout();
  const lines = text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => where === 'file' || l.audit === true);
  expect(lines).toHaveLength(fast + 3);
  expect(lines.filter((l) => l.caller === 'steady' && l.status === 200 && l.decision === 'allowed')).toHaveLength(fast + 3);
  if (where === 'file') expect(gateway.stdout()).not.toContain('"audit":true');
  sim.faults.clear();
});
