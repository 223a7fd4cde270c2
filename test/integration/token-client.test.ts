import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readTokenAnswer, ZohoTokenClient } from '../../src/oauth/token-client';
import { TokenError } from '../../src/oauth/token-error';
import { startZohoSimulator, type ZohoSimulator } from '../../src/simulator/zoho-simulator';

function failureOf(fn: () => unknown): TokenError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TokenError) return err;
    throw err;
  }
  throw new Error('expected a TokenError');
}

describe('readTokenAnswer: an answer is a token only if it carries access_token', () => {
  test('a real token answer', () => {
    expect(readTokenAnswer({ access_token: '1000.a.b', expires_in: 3600, token_type: 'Bearer' }, 200)).toEqual({ value: '1000.a.b', lifetimeMs: 3_600_000 });
  });

  test.each([
    [{ error: 'invalid_client' }, 200, 'fatal', 'invalid_client'],
    [{ error: 'invalid_code' }, 200, 'fatal', 'invalid_code'],
    [{ error: 'Access Denied', error_description: 'You have made too many requests continuously. Please try again after some time.', status: 'failure' }, 200, 'rate_limited', 'Access Denied (HTTP 200)'],
    [{ error: 'Access Denied', error_description: 'You have made too many requests continuously.', status: 'failure' }, 400, 'rate_limited', 'Access Denied (HTTP 400)'],
    [{}, 200, 'transient', 'no access_token (HTTP 200)'],
    [{ access_token: '' }, 200, 'transient', 'no access_token (HTTP 200)'],
    [{ error: 'something_new' }, 200, 'transient', 'error something_new (HTTP 200)'],
  ])('%j with HTTP %i is %s (%s)', (answer, status, kind, reason) => {
    const failure = failureOf(() => readTokenAnswer(answer as Record<string, unknown>, status));
    expect(failure.kind).toBe(kind);
    expect(failure.reason).toBe(reason);
  });
});

describe('ZohoTokenClient against the simulator over HTTP', () => {
  let sim: ZohoSimulator;
  beforeAll(async () => {
    sim = await startZohoSimulator();
  });
  afterAll(async () => sim.close());
  beforeEach(() => sim.reset());

  const client = (overrides: Partial<ConstructorParameters<typeof ZohoTokenClient>[0]> = {}) =>
    new ZohoTokenClient({ accountsUrl: sim.url, clientId: 'sim-client-id', clientSecret: 'sim-client-secret', refreshToken: 'sim-refresh-token', timeoutMs: 2000, ...overrides });

  test('mints with the refresh-token grant, client credentials as form fields, no Basic auth', async () => {
    const minted = await client().mint();
    expect(sim.issuedTokens()).toEqual([minted.value]);
    expect(minted.lifetimeMs).toBe(3_600_000);
    const [call] = sim.log;
    expect(call!.path).toBe('/oauth/v2/token');
    expect(call!.headers.authorization).toBeUndefined();
    const form = new URLSearchParams(call!.body);
    expect(Object.fromEntries(form)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'sim-refresh-token',
      client_id: 'sim-client-id',
      client_secret: 'sim-client-secret',
    });
  });

  test.each([
    ['invalid_client', 'fatal'],
    ['invalid_code', 'fatal'],
    ['rate_limit', 'rate_limited'],
    ['rate_limit_400', 'rate_limited'],
    ['http_500', 'transient'],
    ['reset', 'transient'],
    ['redirect', 'transient'],
  ] as const)('accounts fault %s is a %s failure, never a token', async (fault, kind) => {
    sim.faults.token(fault);
    await expect(client().mint()).rejects.toMatchObject({ name: 'TokenError', kind });
    expect(sim.issuedTokens()).toEqual([]);
  });

  test('a redirect from accounts is not followed', async () => {
    sim.faults.token('redirect');
    await expect(client().mint()).rejects.toMatchObject({ kind: 'transient' });
    expect(sim.log.map((e) => e.path)).toEqual(['/oauth/v2/token']);
  });

  test('a wrong client secret is fatal: invalid_client', async () => {
    await expect(client({ clientSecret: 'wrong' }).mint()).rejects.toMatchObject({ kind: 'fatal', reason: 'invalid_client' });
  });

  test('an accounts server that does not answer in time is a transient failure', async () => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      await expect(client({ accountsUrl: url, timeoutMs: 200 }).mint()).rejects.toMatchObject({ kind: 'transient', reason: 'timeout' });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  test('a failure reason never carries a secret', async () => {
    sim.faults.token('invalid_client');
    const failure = await client().mint().catch((err: TokenError) => err);
    expect(String((failure as TokenError).message)).not.toMatch(/sim-client-secret|sim-refresh-token/);
  });
});
