import request from 'supertest';
import { ConfigError, loadConfig } from '../../src/config/config';
import { SIM_CREDENTIALS, startHarness } from '../helpers/harness';
import { bearer, callersFixture, type CallersFixture } from '../helpers/callers';

const STATUSES = '/rest/json/zv/contacts/contact_status';
/** An IPv4-mapped loopback address: really loopback, but not one the gateway's loopback check knows, so it counts as "any other address". */
const MAPPED_LOOPBACK = '::ffff:127.0.0.1';

function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...SIM_CREDENTIALS, ...env });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

let callers: CallersFixture;
beforeAll(() => {
  callers = callersFixture([{ name: 'crm', scopes: ['zohovoice.contacts.READ'] }]);
});
afterAll(() => callers.remove());

describe('sidecar mode vs shared mode', () => {
  test.each(['0.0.0.0', '::', '10.1.2.3', 'gateway.internal', MAPPED_LOOPBACK])('HOST=%s without a callers file: the start is refused, naming the problem and the ways out', (host) => {
    expect(configProblems({ HOST: host })).toEqual([
      `HOST: ${host} is not a loopback address and GATEWAY_CALLERS_FILE is not set: anyone who can reach the gateway could use the company's Zoho credential. Set GATEWAY_CALLERS_FILE, bind 127.0.0.1, or set ALLOW_UNAUTHENTICATED_NON_LOOPBACK=true deliberately`,
    ]);
  });

  test.each(['127.0.0.1', '127.8.9.10', '::1', 'localhost'])('HOST=%s without a callers file is sidecar mode: accepted', (host) => {
    expect(configProblems({ HOST: host })).toEqual([]);
  });

  test('any HOST with a callers file is shared mode: accepted', () => {
    expect(configProblems({ HOST: '0.0.0.0', GATEWAY_CALLERS_FILE: callers.file })).toEqual([]);
  });

  test('ALLOW_UNAUTHENTICATED_NON_LOOPBACK=true: it starts, serves without keys, and says so loudly at error level', async () => {
    const h = await startHarness({ env: { HOST: MAPPED_LOOPBACK, ALLOW_UNAUTHENTICATED_NON_LOOPBACK: 'true' } });
    try {
      await request(h.url).get(STATUSES).expect(200);
      const warning = h.logLines.map((l) => JSON.parse(l)).filter((l) => typeof l.msg === 'string' && l.msg.startsWith('SECURITY:'));
      expect(warning).toEqual([
        expect.objectContaining({
          level: 'error',
          host: MAPPED_LOOPBACK,
          ALLOW_UNAUTHENTICATED_NON_LOOPBACK: true,
          msg: `SECURITY: listening on non-loopback ${MAPPED_LOOPBACK} WITHOUT caller authentication (ALLOW_UNAUTHENTICATED_NON_LOOPBACK=true): anyone who can reach this address can use the company's Zoho credential. Set GATEWAY_CALLERS_FILE unless the network namespace is yours alone`,
        }),
      ]);
    } finally {
      await h.close();
    }
  });

  test('shared mode on the same address: keys required, and no warning', async () => {
    const h = await startHarness({ env: { HOST: MAPPED_LOOPBACK, GATEWAY_CALLERS_FILE: callers.file, ALLOW_UNAUTHENTICATED_NON_LOOPBACK: 'true' } });
    try {
      expect((await request(h.url).get(STATUSES)).status).toBe(401);
      await request(h.url).get(STATUSES).set('Authorization', bearer(callers.keys.crm!)).expect(200);
      expect(h.logLines.filter((l) => l.includes('SECURITY:') || l.includes('sidecar mode'))).toEqual([]);
      expect(h.logLines.some((l) => l.includes('callers loaded: every call needs a caller key'))).toBe(true);
    } finally {
      await h.close();
    }
  });
});
