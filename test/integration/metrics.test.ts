/**
 * GET /metrics over real HTTP: each test scrapes before and after the calls it makes and checks
 * that exactly the right series moved by exactly the right amount.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startHarness, type Harness } from '../helpers/harness';
import { scrape, valueOf, type Sample } from '../helpers/prometheus-text';
import { startRedisServer } from '../helpers/redis-cluster';

const BASE = '/rest/json/zv/contacts';
const ITEM = `${BASE}/{contact_id}`;
const BIG_ID = '9223372036854775807';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());
beforeEach(() => h.sim.faults.clear());

const requests = (s: Sample[], labels: Record<string, string>) => valueOf(s, 'zvgw_requests_total', labels);

describe('requests', () => {
  test('when a get is proxied, then the series for its route template, method, status and caller goes up by exactly 1', async () => {
    const labels = { route: ITEM, method: 'GET', status: '200', caller: 'none' };
    const before = await scrape(h.url);

    const res = await fetch(`${h.url}${BASE}/${BIG_ID}`);
    expect(res.status).toBe(200);
    await res.text();

    const after = await scrape(h.url);
    expect(requests(after, labels) - requests(before, labels)).toBe(1);
    const count = (s: Sample[]) => valueOf(s, 'zvgw_request_duration_seconds_count', { route: ITEM, method: 'GET', status_class: '2xx' });
    expect(count(after) - count(before)).toBe(1);
    const upstreamCount = (s: Sample[]) => valueOf(s, 'zvgw_upstream_duration_seconds_count', { route: ITEM, method: 'GET' });
    expect(upstreamCount(after) - upstreamCount(before)).toBe(1);
    // The upstream part is part of the whole, so its sum cannot be larger.
    const sum = (s: Sample[], name: string, labels: Record<string, string>) => valueOf(s, name, labels);
    const upstreamSeconds = sum(after, 'zvgw_upstream_duration_seconds_sum', { route: ITEM, method: 'GET' }) - sum(before, 'zvgw_upstream_duration_seconds_sum', { route: ITEM, method: 'GET' });
    const wholeSeconds =
      sum(after, 'zvgw_request_duration_seconds_sum', { route: ITEM, method: 'GET', status_class: '2xx' }) -
      sum(before, 'zvgw_request_duration_seconds_sum', { route: ITEM, method: 'GET', status_class: '2xx' });
    expect(upstreamSeconds).toBeGreaterThan(0);
    expect(upstreamSeconds).toBeLessThanOrEqual(wholeSeconds);
  });

  test('when the list and a create are proxied, then each is counted under its own method on the collection template', async () => {
    const before = await scrape(h.url);
    await (await fetch(`${h.url}${BASE}?from=0&size=2`)).text();
    await (await fetch(`${h.url}${BASE}?from=0&size=3`)).text();
    const created = await fetch(`${h.url}${BASE}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ first_name: 'Ada', mobile: '+12015550123' }) });
    expect(created.status).toBe(200);
    await created.text();

    const after = await scrape(h.url);
    const delta = (labels: Record<string, string>) => requests(after, labels) - requests(before, labels);
    expect(delta({ route: BASE, method: 'GET', status: '200' })).toBe(2);
    expect(delta({ route: BASE, method: 'POST', status: '200' })).toBe(1);
  });

  test('when a path matches no route, then it is counted as route="unmatched" and the path never becomes a label', async () => {
    const before = await scrape(h.url);
    const res = await fetch(`${h.url}/admin/secret-path-4711`);
    expect(res.status).toBe(404);
    await res.text();
    const bad = await fetch(`${h.url}${BASE}/12345678901234567890`);
    expect(bad.status).toBe(400);
    await bad.text();

    const after = await scrape(h.url);
    expect(requests(after, { route: 'unmatched', status: '404' }) - requests(before, { route: 'unmatched', status: '404' })).toBe(1);
    expect(requests(after, { route: 'unmatched', status: '400' }) - requests(before, { route: 'unmatched', status: '400' })).toBe(1);
    const labelValues = after.flatMap((s) => Object.values(s.labels));
    expect(labelValues.some((v) => v.includes('secret-path-4711') || v.includes('12345678901234567890'))).toBe(false);
    // No label value anywhere holds a contact id either.
    expect(labelValues.some((v) => v.includes(BIG_ID))).toBe(false);
  });

  test('when Zoho answers 502 once, then the get succeeds and the retries counter goes up by exactly 1', async () => {
    const before = await scrape(h.url);
    h.sim.faults.contacts('http_502', 1, { method: 'GET' });
    const res = await fetch(`${h.url}${BASE}/contact_status`);
    expect(res.status).toBe(200);
    await res.text();

    const after = await scrape(h.url);
    const retries = (s: Sample[]) => valueOf(s, 'zvgw_upstream_retries_total', { route: `${BASE}/contact_status`, method: 'GET' });
    expect(retries(after) - retries(before)).toBe(1);
  });

  test('when the caller leaves before the answer, then the request is counted with status 499 and in-flight returns to 0', async () => {
    const labels = { route: `${BASE}/contact_status`, method: 'GET', status: '499' };
    const before = requests(await scrape(h.url), labels);
    h.sim.faults.contacts('stall', 1, { method: 'GET', ms: 1500 });
    const controller = new AbortController();
    const pending = fetch(`${h.url}${BASE}/contact_status`, { signal: controller.signal }).catch(() => 'aborted');
    await new Promise((resolve) => setTimeout(resolve, 150));
    controller.abort();
    expect(await pending).toBe('aborted');
    let after = before;
    for (let i = 0; i < 50 && after === before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = requests(await scrape(h.url), labels);
    }
    expect(after - before).toBe(1);
    // Only the scrape itself is in flight.
    expect(valueOf(await scrape(h.url), 'zvgw_requests_in_flight')).toBe(1);
  });

  test('the ops routes are counted under their own paths', async () => {
    const before = await scrape(h.url);
    await (await fetch(`${h.url}/healthz`)).text();
    const after = await scrape(h.url);
    expect(requests(after, { route: '/healthz', method: 'GET', status: '200' }) - requests(before, { route: '/healthz', method: 'GET', status: '200' })).toBe(1);
    // The scrape before this one was itself counted once it finished.
    expect(requests(after, { route: '/metrics', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(1);
  });
});

describe('tokens', () => {
  test('when the first call needs a token, then the mint counter shows exactly the simulator\'s token calls, and later calls are cache hits', async () => {
    const sim = await startHarness();
    try {
      const before = await scrape(sim.url);
      expect(valueOf(before, 'zvgw_token_mints_total', { outcome: 'success' })).toBe(0);

      for (let i = 0; i < 3; i++) await (await fetch(`${sim.url}${BASE}/contact_status`)).text();

      const after = await scrape(sim.url);
      expect(sim.sim.tokenCalls()).toBe(1);
      expect(valueOf(after, 'zvgw_token_mints_total', { outcome: 'success' })).toBe(1);
      expect(valueOf(after, 'zvgw_token_mints_total', { outcome: 'fatal' })).toBe(0);
      expect(valueOf(after, 'zvgw_token_cache_lookups_total', { result: 'miss' })).toBe(1);
      expect(valueOf(after, 'zvgw_token_cache_lookups_total', { result: 'hit' })).toBe(2);
    } finally {
      await sim.close();
    }
  });

  test('when Zoho answers invalid_client, then the mint is counted with outcome="fatal" and the caller gets 503', async () => {
    const sim = await startHarness();
    try {
      sim.sim.faults.token('invalid_client', 1);
      const res = await fetch(`${sim.url}${BASE}/contact_status`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { code: string }).code).toBe('TOKEN_CREDENTIALS_INVALID');

      const after = await scrape(sim.url);
      expect(sim.sim.tokenCalls()).toBe(1);
      expect(valueOf(after, 'zvgw_token_mints_total', { outcome: 'fatal' })).toBe(1);
      expect(valueOf(after, 'zvgw_token_mints_total', { outcome: 'success' })).toBe(0);
      expect(valueOf(after, 'zvgw_requests_total', { route: `${BASE}/contact_status`, status: '503' })).toBe(1);
    } finally {
      await sim.close();
    }
  });
});

describe('the circuit breaker', () => {
  test('when the breaker toward Zoho opens, then zvgw_circuit_state reads 2', async () => {
    const fresh = await startHarness({ env: { BREAKER_FAILURE_THRESHOLD: '2', RETRY_MAX_ATTEMPTS: '1' } });
    try {
      expect(valueOf(await scrape(fresh.url), 'zvgw_circuit_state')).toBe(0);
      fresh.sim.faults.contacts('http_503', 2, { method: 'GET' });
      for (let i = 0; i < 2; i++) await (await fetch(`${fresh.url}${BASE}/contact_status`)).arrayBuffer();
      expect(fresh.gateway.breaker.state).toBe('open');
      expect(valueOf(await scrape(fresh.url), 'zvgw_circuit_state')).toBe(2);
    } finally {
      await fresh.close();
    }
  });
});

describe('Redis errors', () => {
  test('when Redis stops, then the rate limiter\'s failed round trips are counted under component="rate_limit" (at least one, never more than one per call), and calls still succeed', async () => {
    const redis = await startRedisServer();
    const gw = await startHarness({
      // 5/s: the limiter takes one token per Redis round trip, so the first call after the stop needs Redis.
      env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `metrics-${process.pid}-${Date.now()}:`, TOKEN_ENCRYPTION_KEY: 'ab'.repeat(32), RATE_LIMIT_RPS: '5' },
    });
    try {
      await (await fetch(`${gw.url}${BASE}/contact_status`)).arrayBuffer();
      const errors = (s: Sample[], component: string) => valueOf(s, 'zvgw_redis_errors_total', { component });
      const before = await scrape(gw.url);
      expect(errors(before, 'rate_limit')).toBe(0);

      await redis.stopAll();
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${gw.url}${BASE}/contact_status`);
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      expect(statuses).toEqual([200, 200, 200]);
      const after = await scrape(gw.url);
      // How many round trips the limiter makes during an outage is its business (it may stop asking
      // for a while); each one that failed is counted.
      expect(errors(after, 'rate_limit')).toBeGreaterThanOrEqual(1);
      expect(errors(after, 'rate_limit')).toBeLessThanOrEqual(3);
      // The token came from the in-process copy: the token store was not needed.
      expect(errors(after, 'token_store')).toBe(errors(before, 'token_store'));
    } finally {
      await gw.close();
      await redis.close();
    }
  });
});

describe('the registry', () => {
  test('two gateways in one process keep their own counts (no global registry)', async () => {
    const other = await startHarness({ simulator: h.sim });
    try {
      await (await fetch(`${other.url}${BASE}/contact_status`)).text();
      await (await fetch(`${other.url}${BASE}/contact_status`)).text();
      const mine = await scrape(other.url);
      expect(valueOf(mine, 'zvgw_requests_total', { route: `${BASE}/contact_status`, status: '200' })).toBe(2);
      expect(valueOf(mine, 'zvgw_token_mints_total', { outcome: 'success' })).toBe(1);
    } finally {
      await other.close();
    }
  });

  test('default process metrics, build info and the circuit gauge are exported; the gauge reads the wired state', async () => {
    let state: 'closed' | 'half_open' | 'open' = 'closed';
    h.gateway.metrics.watchCircuit(() => state);
    expect(valueOf(await scrape(h.url), 'zvgw_circuit_state')).toBe(0);
    state = 'open';
    expect(valueOf(await scrape(h.url), 'zvgw_circuit_state')).toBe(2);
    state = 'half_open';
    const samples = await scrape(h.url);
    expect(valueOf(samples, 'zvgw_circuit_state')).toBe(1);

    const names = new Set(samples.map((s) => s.name));
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(names).toContain(name);
    }
    const info = samples.find((s) => s.name === 'zvgw_build_info');
    expect(info?.labels).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), node: process.version });
    expect(info?.value).toBe(1);
  });

  test('when a component reports a Redis error, then zvgw_redis_errors_total counts it under that component', async () => {
    const before = valueOf(await scrape(h.url), 'zvgw_redis_errors_total', { component: 'idempotency' });
    h.gateway.metrics.redisError('idempotency');
    h.gateway.metrics.redisError('idempotency');
    const after = valueOf(await scrape(h.url), 'zvgw_redis_errors_total', { component: 'idempotency' });
    expect(after - before).toBe(2);
  });
});

describe('the Grafana dashboard (config/grafana)', () => {
  const dashboard = JSON.parse(readFileSync(path.resolve(__dirname, '../../config/grafana/zoho-voice-gateway.json'), 'utf8')) as {
    uid: string;
    templating: { list: Array<{ name: string; type: string }> };
    panels: Array<{ id: number; type: string; targets?: Array<{ expr: string }> }>;
  };

  test('every metric a panel queries is one a running gateway exports', async () => {
    const exported = new Set((await scrape(h.url)).map((s) => s.name));
    const queried = new Set(
      dashboard.panels.flatMap((p) => p.targets ?? []).flatMap((t) => [...t.expr.matchAll(/\b((?:zvgw|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!)),
    );
    expect(queried.size).toBeGreaterThanOrEqual(12);
    expect([...queried].filter((name) => !exported.has(name))).toEqual([]);
    // Every gateway metric is on the dashboard.
    const gatewayMetrics = [...exported].filter((n) => n.startsWith('zvgw_')).map((n) => n.replace(/_(bucket|sum|count)$/, ''));
    for (const name of new Set(gatewayMetrics)) expect([...queried].some((q) => q.startsWith(name))).toBe(true);
  });

  test('it is importable: a Prometheus data-source variable, unique panel ids, every query filtered by instance', () => {
    expect(dashboard.templating.list.map((v) => `${v.name}:${v.type}`)).toEqual(['datasource:datasource', 'instance:query']);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const target of dashboard.panels.flatMap((p) => p.targets ?? [])) expect(target.expr).toContain('instance=~"$instance"');
  });
});
