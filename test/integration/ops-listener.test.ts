/**
 * The ops-only listener (OPS_PORT) and the probe CLI that the Dockerfile's HEALTHCHECK and
 * exec probes use.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { probe } from '../../src/ops/probe';
import { startHarness, type Harness } from '../helpers/harness';
import { scrape, valueOf } from '../helpers/prometheus-text';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { OPS_PORT: '0', OPS_HOST: '127.0.0.1' } });
});
afterAll(async () => h.close());

describe('the ops listener', () => {
  test('when OPS_PORT is set, then /healthz, /readyz, /metrics and /openapi.json answer there too', async () => {
    const ops = h.gateway.opsUrl!;
    expect(ops).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ops).not.toBe(h.url);
    const health = await fetch(`${ops}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'UP' });
    const ready = await fetch(`${ops}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'READY' });
    const doc = await fetch(`${ops}/openapi.json`);
    expect(((await doc.json()) as { openapi: string }).openapi).toBe('3.1.0');
    // One registry for both listeners: the readiness check above minted the token it reports.
    expect(valueOf(await scrape(ops), 'zvgw_token_mints_total', { outcome: 'success' })).toBe(h.sim.tokenCalls());
  });

  test('when a contact call is sent to the ops port, then it gets 404 and nothing reaches Zoho', async () => {
    const before = h.sim.contactCalls().length;
    const res = await fetch(`${h.gateway.opsUrl}/rest/json/zv/contacts/contact_status`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('ROUTE_NOT_FOUND');
    expect(h.sim.contactCalls().length).toBe(before);
  });

  test('when the gateway closes, then the ops port closes too', async () => {
    const other = await startHarness({ simulator: h.sim, env: { OPS_PORT: '0', OPS_HOST: '127.0.0.1' } });
    const ops = other.gateway.opsUrl!;
    expect(await probe(`${ops}/healthz`)).toBe(true);
    await other.close();
    expect(await probe(`${ops}/healthz`)).toBe(false);
  });

  test('without OPS_PORT there is no second listener', async () => {
    const plain = await startHarness({ simulator: h.sim });
    try {
      expect(plain.gateway.opsUrl).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});

describe('the probe', () => {
  test('2xx is healthy; a 404, a closed port and a malformed URL are not', async () => {
    expect(await probe(`${h.url}/healthz`)).toBe(true);
    expect(await probe(`${h.url}/no-such-path`)).toBe(false);
    const down = await startHarness({ simulator: h.sim });
    const downUrl = down.url;
    await down.close();
    expect(await probe(`${downUrl}/healthz`)).toBe(false);
    expect(await probe('not a url')).toBe(false);
  });

  test('a server that never answers counts as unhealthy within the timeout', async () => {
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const started = Date.now();
    try {
      expect(await probe(`http://127.0.0.1:${port}/healthz`, 300)).toBe(false);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('the CLI exits 0 for a healthy URL and 1 otherwise', async () => {
    const cli = ['--import', 'tsx', path.join(ROOT, 'src/ops/probe.ts')];
    await expect(run(process.execPath, [...cli, `${h.url}/healthz`], { cwd: ROOT })).resolves.toBeDefined();
    await expect(run(process.execPath, [...cli, `${h.url}/nope`], { cwd: ROOT })).rejects.toMatchObject({ code: 1 });
  });
});
