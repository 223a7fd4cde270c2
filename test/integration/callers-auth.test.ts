import request from 'supertest';
import { ROUTES, type ContactRoute } from '../../src/proxy/routes';
import { CALLER_SCOPES, type CallerScope } from '../../src/callers/scopes';
import { bearer, callersFixture, type CallersFixture } from '../helpers/callers';
import { startHarness, type Harness, simulatorLogPerTest } from '../helpers/harness';
import { rawHttp, rawRequest } from '../helpers/raw-http';

const BASE = '/rest/json/zv/contacts';
const CONTACT = { first_name: 'Ada', mobile: '+12015550123' };

/** One caller per scope, each named after it. */
const SCOPE_CALLERS = CALLER_SCOPES.map((scope) => ({ name: scope.split('.').pop()!.toLowerCase(), scopes: [scope] as CallerScope[] }));

let callers: CallersFixture;
let h: Harness;
beforeAll(async () => {
  callers = callersFixture(SCOPE_CALLERS);
  h = await startHarness({ env: { GATEWAY_CALLERS_FILE: callers.file, RATE_LIMIT_RPS: '0' } });
});
afterAll(async () => {
  await h.close();
  callers.remove();
});
const { received: upstream, contactCalls } = simulatorLogPerTest(() => h.sim);

/** A request for a route, with a real id and a valid contact where one is taken. */
function call(route: ContactRoute, auth?: string): request.Test {
  const path = route.template.replace('{contact_id}', '347000014281004');
  let req = request(h.url)[route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'](path);
  if (auth !== undefined) req = req.set('Authorization', auth);
  return route.takesContact ? req.send(CONTACT) : req;
}

describe('authentication: no valid key, 401 and nothing upstream', () => {
  const wellFormedButUnknown = `zvgw_${'A'.repeat(43)}`;
  const cases: [string, string | undefined][] = [
    ['no Authorization header', undefined],
    ['an empty header', ''],
    ['the scheme alone', 'Bearer'],
    ['the scheme and spaces', 'Bearer    '],
    ['a well-formed key nobody holds', bearer(wellFormedButUnknown)],
    ['Basic credentials', 'Basic cmVhZDpzZWNyZXQ='],
    ['a key with a space inside', 'Bearer zvgw_abc defghijklmnopqrstuvwxyz'],
    ['two keys', `Bearer ${wellFormedButUnknown}, Bearer ${wellFormedButUnknown}`],
    ['a 10 kB key', bearer(`zvgw_${'x'.repeat(10_000)}`)],
    ['a key too short to be one', 'Bearer zvgw_'],
    ['the Zoho token form', `Zoho-oauthtoken ${wellFormedButUnknown}`],
  ];

  test.each(ROUTES.map((r) => [r.name, r] as const))('%s: every bad key form gets 401 UNAUTHENTICATED with a Bearer challenge', async (_name, route) => {
    for (const [, auth] of cases) {
      const res = await call(route, auth);
      expect({ auth, status: res.status, code: res.body.code }).toEqual({ auth, status: 401, code: 'UNAUTHENTICATED' });
      expect(res.headers['www-authenticate']).toBe('Bearer realm="zoho-voice-gateway"');
      expect(res.body.request_id).toBe(res.headers['x-request-id']);
    }
    expect(upstream()).toEqual([]);
  });

  test("a caller's key hash is not a key: sending the keySha256 from the file gets 401", async () => {
    const { callerKeySha256Hex } = await import('../../src/callers/caller-key');
    const res = await call(ROUTES[0]!, bearer(callerKeySha256Hex(callers.keys.read!)));
    expect(res.status).toBe(401);
    expect(upstream()).toEqual([]);
  });

  test('one character changed in a real key gets 401', async () => {
    const key = callers.keys.all!;
    const flipped = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    expect((await call(ROUTES[0]!, bearer(flipped))).status).toBe(401);
    expect((await call(ROUTES[0]!, bearer(`${key}x`))).status).toBe(401);
    expect(upstream()).toEqual([]);
  });

  test('the scheme is case-insensitive (RFC 9110): "bearer <key>" is accepted', async () => {
    const res = await call(ROUTES[0]!, `bearer ${callers.keys.read}`);
    expect(res.status).toBe(200);
    expect(contactCalls()).toHaveLength(1);
  });
});

describe('scopes: every route against a caller holding each scope', () => {
  const matrix = ROUTES.flatMap((route) => SCOPE_CALLERS.map((caller) => [route.name, caller.name, route, caller.scopes[0]!] as const));

  test.each(matrix)('%s by the %s caller', async (_route, name, route, scope) => {
    const allowed = scope === 'zohovoice.contacts.ALL' || scope === route.scope;
    const res = await call(route, bearer(callers.keys[name]!));
    if (allowed) {
      // Passed through: the caller gets Zoho's own answer (a second delete of one id is Zoho's 404).
      expect(contactCalls().map((c) => [c.method, c.status])).toEqual([[route.method, res.status]]);
      expect([200, 404]).toContain(res.status);
    } else {
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        status: 'ERROR',
        code: 'FORBIDDEN',
        message: 'This caller is not allowed to make this call.',
        request_id: res.headers['x-request-id'],
        details: { needs_scope: route.scope },
      });
      expect(upstream()).toEqual([]);
    }
  });

  test('a caller with several scopes gets exactly their union', async () => {
    const fixture = callersFixture([{ name: 'reader-deleter', scopes: ['zohovoice.contacts.READ', 'zohovoice.contacts.DELETE'] }]);
    const own = await startHarness({ simulator: h.sim, env: { GATEWAY_CALLERS_FILE: fixture.file } });
    try {
      const auth = bearer(fixture.keys['reader-deleter']!);
      const statuses: Record<string, number> = {};
      for (const route of ROUTES) {
        const path = route.template.replace('{contact_id}', '1234567890123456789');
        let req = request(own.url)[route.method.toLowerCase() as 'get'](path).set('Authorization', auth);
        if (route.takesContact) req = req.send(CONTACT);
        statuses[route.name] = (await req).status;
      }
      expect(statuses).toEqual({
        'contacts.list': 200,
        'contacts.create': 403,
        'contacts.statuses': 200,
        'contacts.get': 200,
        'contacts.update': 403,
        'contacts.delete': 200,
      });
      expect(contactCalls().map((c) => c.method)).toEqual(['GET', 'GET', 'GET', 'DELETE']);
    } finally {
      await own.close();
      fixture.remove();
    }
  });
});

describe("a refused caller's body is never read", () => {
  test('a forbidden create with a broken JSON body is 403, not 400: the body was never parsed', async () => {
    const res = await request(h.url)
      .post(BASE)
      .set('Authorization', bearer(callers.keys.read!))
      .set('Content-Type', 'application/json')
      .send('{"first_name": oops');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
    expect(upstream()).toEqual([]);
  });

  test('an unauthenticated create announcing 10 MB gets 401 at once and the connection is closed, without waiting for the body', async () => {
    const started = Date.now();
    const answer = await rawRequest(
      h.url,
      rawHttp('POST', BASE, { 'Content-Type': 'application/json', 'Content-Length': String(10 * 1024 * 1024), Connection: 'keep-alive' }, '{"first_name":'),
      { timeoutMs: 5000 },
    );
    expect(answer.status).toBe(401);
    expect(answer.headers.connection).toBe('close');
    expect(JSON.parse(answer.body).code).toBe('UNAUTHENTICATED');
    // The server closed the connection itself (well before the 5 s client timeout).
    expect(Date.now() - started).toBeLessThan(2000);
    expect(upstream()).toEqual([]);
  });
});

describe('what reaches Zoho from an authenticated caller', () => {
  test("the caller's key never reaches Zoho: upstream Authorization is the gateway's Zoho token", async () => {
    const key = callers.keys.all!;
    await call(ROUTES.find((r) => r.name === 'contacts.create')!, bearer(key)).expect(200);
    const [sent] = contactCalls();
    expect(sent!.headers.authorization).toMatch(/^Zoho-oauthtoken /);
    expect(h.sim.issuedTokens()).toContain(sent!.headers.authorization!.toString().slice('Zoho-oauthtoken '.length));
    expect(JSON.stringify(sent)).not.toContain(key);
  });
});

describe('sidecar mode (no callers file)', () => {
  test('calls need no key, a key sent anyway is ignored and not forwarded, and the audit line has no caller', async () => {
    const sidecar = await startHarness({ simulator: h.sim });
    try {
      await request(sidecar.url).get(`${BASE}/contact_status`).expect(200);
      await request(sidecar.url).get(`${BASE}/contact_status`).set('Authorization', 'Bearer whatever-the-app-sends').expect(200);
      const sent = contactCalls();
      expect(sent).toHaveLength(2);
      for (const entry of sent) expect(entry.headers.authorization).toMatch(/^Zoho-oauthtoken /);
      expect(sidecar.logLines.join('\n')).toContain('sidecar mode: no GATEWAY_CALLERS_FILE');
      const audits = sidecar.logLines.map((l) => JSON.parse(l)).filter((l) => l.audit === true);
      expect(audits.map((a) => [a.caller, a.decision, a.status])).toEqual([
        [null, 'allowed', 200],
        [null, 'allowed', 200],
      ]);
    } finally {
      await sidecar.close();
    }
  });
});
