import request from 'supertest';
import { startZohoSimulator, type ZohoSimulator } from '../../src/simulator/zoho-simulator';
import { spawnGateway } from '../helpers/gateway-process';
import { simulatorEnv, startHarness } from '../helpers/harness';

const SECRETS = {
  ZOHO_CLIENT_ID: 'cid-7f3a9e1b2c',
  ZOHO_CLIENT_SECRET: 'csecret-4d8e2f6a0b1c',
  ZOHO_REFRESH_TOKEN: '1000.refresh-9b7c5d3e1f',
};
const CALLER_TOKEN = 'caller-bearer-5e6f7a8b';

describe('no secret or token appears in any output', () => {
  let sim: ZohoSimulator;
  beforeAll(async () => {
    sim = await startZohoSimulator({ clientId: SECRETS.ZOHO_CLIENT_ID, clientSecret: SECRETS.ZOHO_CLIENT_SECRET, refreshToken: SECRETS.ZOHO_REFRESH_TOKEN });
  });
  afterAll(async () => sim.close());

  /** Calls that make the gateway log: successes, a revoked token, a bad answer, credentials refused. */
  async function exercise(url: string): Promise<void> {
    const api = request(url);
    await api.get('/rest/json/zv/contacts?size=5').set('Authorization', `Bearer ${CALLER_TOKEN}`).expect(200);
    await api.post('/rest/json/zv/contacts').set('Cookie', `s=${CALLER_TOKEN}`).send({ first_name: 'A', mobile: '1' }).expect(200);
    sim.revokeAllTokens();
    await api.get('/rest/json/zv/contacts/contact_status').expect(200);
    await api.get('/rest/json/zv/contacts/1?x=1').expect(400);
    sim.faults.contacts('http_500', 1);
    await api.delete('/rest/json/zv/contacts/1').expect(500);
    sim.revokeAllTokens();
    sim.faults.token('invalid_client', Infinity);
    await api.get('/rest/json/zv/contacts/contact_status').expect(503);
    await api.get('/readyz').expect(503);
    sim.faults.clear();
  }

  function expectNoSecrets(output: string): void {
    const forbidden = [...Object.values(SECRETS), CALLER_TOKEN, ...sim.issuedTokens()];
    expect(sim.issuedTokens().length).toBeGreaterThanOrEqual(2);
    for (const secret of forbidden) expect(output).not.toContain(secret);
  }

  test('the gateway process: stdout and stderr at debug level, through failures and shutdown', async () => {
    sim.reset();
    const gateway = await spawnGateway({ ...simulatorEnv(sim.url, SECRETS), LOG_LEVEL: 'trace' });
    try {
      await exercise(gateway.url);
    } finally {
      expect(await gateway.stop('SIGTERM')).toBe(0);
    }
    const output = gateway.stdout() + gateway.stderr();
    expect(output).toContain('zoho-voice-gateway listening');
    expect(output).toContain('rejected the gateway credentials');
    expectNoSecrets(output);
  });

  test('the in-process logger used by the tests', async () => {
    sim.reset();
    const h = await startHarness({ simulator: sim, env: { ...SECRETS, LOG_LEVEL: 'trace' } });
    try {
      await exercise(h.url);
    } finally {
      await h.close();
    }
    expect(h.logLines.length).toBeGreaterThan(0);
    expectNoSecrets(h.logLines.join('\n'));
  });
});
