import { MemoryTokenStore } from '../../src/oauth/token-store/memory-token-store';
import { ZohoTokenClient } from '../../src/oauth/token-client';
import { TokenSource } from '../../src/oauth/token-source';
import { startZohoSimulator, type ZohoSimulator } from '../../src/simulator/zoho-simulator';
import { capturedLogger } from '../helpers/log-capture';
import { ManualClock } from '../helpers/manual-clock';

describe('TokenSource with the memory store, against the simulator', () => {
  let sim: ZohoSimulator;
  beforeAll(async () => {
    sim = await startZohoSimulator({ tokenLifetimeSec: 3600 });
  });
  afterAll(async () => sim.close());
  beforeEach(() => sim.reset());

  function build(clock: ManualClock) {
    const { log, lines } = capturedLogger();
    const source = new TokenSource({
      store: new MemoryTokenStore(clock),
      client: new ZohoTokenClient({ accountsUrl: sim.url, clientId: 'sim-client-id', clientSecret: 'sim-client-secret', refreshToken: 'sim-refresh-token', timeoutMs: 2000 }),
      clock,
      log,
      expirySkewMs: 60_000,
      refreshAheadMs: 300_000,
      endpointTimeoutMs: 2000,
      proactive: false,
    });
    return { source, lines };
  }

  test('concurrent callers on a cold cache share one refresh', async () => {
    const { source } = build(new ManualClock());
    const leases = await Promise.all(Array.from({ length: 50 }, () => source.getAccessToken()));
    expect(sim.tokenCalls()).toBe(1);
    expect(new Set(leases.map((l) => l.value))).toEqual(new Set(sim.issuedTokens()));
    expect(leases.every((l) => l.refreshed)).toBe(true);
  });

  test('the token is served from memory until expires_in minus the skew, then refreshed', async () => {
    const clock = new ManualClock();
    const { source } = build(clock);
    const first = await source.getAccessToken();
    clock.advance(3600_000 - 300_000 - 1); // just before the refresh-ahead window
    expect(await source.getAccessToken()).toEqual({ value: first.value, refreshed: false });
    expect(sim.tokenCalls()).toBe(1);

    clock.advance(3600_000 - 60_000 - (3600_000 - 300_000 - 1)); // exactly at expiry minus skew
    const second = await source.getAccessToken();
    expect(second.refreshed).toBe(true);
    expect(second.value).not.toBe(first.value);
    expect(sim.tokenCalls()).toBe(2);
  });

  test('inside the refresh-ahead window callers get the current token while one background refresh runs', async () => {
    const clock = new ManualClock();
    const { source } = build(clock);
    const first = await source.getAccessToken();
    clock.advance(3600_000 - 200_000);
    const during = await Promise.all(Array.from({ length: 10 }, () => source.getAccessToken()));
    expect(during.every((l) => l.value === first.value && !l.refreshed)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(sim.tokenCalls()).toBe(2);
    expect((await source.getAccessToken()).value).toBe(sim.issuedTokens()[1]);
  });

  test('invalid_client is fatal: 503 TOKEN_CREDENTIALS_INVALID, logged once, Zoho not asked again per request', async () => {
    const { source, lines } = build(new ManualClock());
    sim.faults.token('invalid_client', Infinity);
    for (let i = 0; i < 5; i++) {
      await expect(source.getAccessToken()).rejects.toMatchObject({ code: 'TOKEN_CREDENTIALS_INVALID', status: 503 });
    }
    expect(sim.tokenCalls()).toBe(1);
    expect(lines.filter((l) => l.includes('rejected the gateway credentials'))).toHaveLength(1);
    expect(source.status().credentialsRejected).toBe(true);
  });

  test('a rate-limit answer backs off: 503 TOKEN_RATE_LIMITED with Retry-After, no further token calls', async () => {
    const { source } = build(new ManualClock());
    sim.faults.token('rate_limit', Infinity);
    const errors = await Promise.all(Array.from({ length: 10 }, () => source.getAccessToken().catch((e: unknown) => e)));
    for (const e of errors) expect(e).toMatchObject({ code: 'TOKEN_RATE_LIMITED', status: 503, retryAfterSec: 60 });
    await expect(source.getAccessToken()).rejects.toMatchObject({ code: 'TOKEN_RATE_LIMITED' });
    expect(sim.tokenCalls()).toBe(1);
  });

  test('reportRejected drops exactly that token; the next call mints a new one', async () => {
    const { source } = build(new ManualClock());
    const first = await source.getAccessToken();
    await source.reportRejected('some-other-token');
    expect((await source.getAccessToken()).value).toBe(first.value);
    await source.reportRejected(first.value);
    const second = await source.getAccessToken();
    expect(second.value).not.toBe(first.value);
    expect(sim.tokenCalls()).toBe(2);
  });
});
