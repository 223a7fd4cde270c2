import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GET_CONTACT_ID, PAGE_SIZE } from '../../bench/answers';
import { createPassthrough } from '../../bench/passthrough';
import { median, ratios, type CallFigures, type Figures } from '../../bench/report';
import { createBenchUpstream } from '../../bench/upstream';

/** The bench's own parts: its upstream must answer like Zoho, its passthrough must add nothing. */

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

async function call(url: string, method = 'GET', body?: string): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, { method, body, headers: body ? { 'content-type': 'application/json' } : {} });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe('the bench upstream and passthrough', () => {
  const upstream = createBenchUpstream();
  let upstreamUrl = '';
  const passthrough = { server: undefined as http.Server | undefined, url: '' };

  beforeAll(async () => {
    upstreamUrl = await listen(upstream);
    passthrough.server = createPassthrough(upstreamUrl);
    passthrough.url = await listen(passthrough.server);
  });
  afterAll(async () => {
    passthrough.server?.closeAllConnections();
    upstream.closeAllConnections();
    await Promise.all([new Promise((r) => passthrough.server?.close(r)), new Promise((r) => upstream.close(r))]);
  });

  test('when the list is asked for, then a full page in the seed\'s list shape (string ids, owner objects)', async () => {
    const { status, text } = await call(`${upstreamUrl}/rest/json/zv/contacts?from=0&size=50`);
    expect(status).toBe(200);
    const answer = JSON.parse(text) as { meta: unknown; contacts: Array<{ contact_id: unknown; contact_owner: unknown }> };
    expect(answer.meta).toEqual({ total: -1 });
    expect(answer.contacts).toHaveLength(PAGE_SIZE);
    for (const contact of answer.contacts) {
      expect(typeof contact.contact_id).toBe('string');
      expect(contact.contact_owner).toEqual({ display_value: 'Vignesh', id: '347000000003015' });
    }
  });

  test('when the 19-digit contact is asked for, then its id is a bare number in the text (as Zoho writes single answers)', async () => {
    const { status, text } = await call(`${upstreamUrl}/rest/json/zv/contacts/${GET_CONTACT_ID}`);
    expect(status).toBe(200);
    expect(text).toContain(`"contact_id":${GET_CONTACT_ID},`);
    expect(text).toContain('"contact_owner":415005010526109');
  });

  test('when the other calls are made, then create, statuses, update, delete and a missing contact answer as Zoho would', async () => {
    expect((await call(`${upstreamUrl}/rest/json/zv/contacts`, 'POST', '{"contact":"{}"}')).text).toMatch(/"contact_id":4000000000000000042,/);
    expect((await call(`${upstreamUrl}/rest/json/zv/contacts/contact_status`)).text).toContain('"contact_status":[');
    expect((await call(`${upstreamUrl}/rest/json/zv/contacts/${GET_CONTACT_ID}`, 'PUT', '{}')).status).toBe(200);
    expect((await call(`${upstreamUrl}/rest/json/zv/contacts/${GET_CONTACT_ID}`, 'DELETE')).text).toBe(`{"code":"200","contacts":"${GET_CONTACT_ID}","status":"SUCCESS"}`);
    expect((await call(`${upstreamUrl}/rest/json/zv/contacts/1`)).status).toBe(404);
  });

  test('when a call goes through the passthrough, then the answer is the upstream\'s byte for byte', async () => {
    for (const path of ['/rest/json/zv/contacts?from=0&size=50', `/rest/json/zv/contacts/${GET_CONTACT_ID}`]) {
      const direct = await call(upstreamUrl + path);
      const proxied = await call(passthrough.url + path);
      expect(proxied.status).toBe(direct.status);
      expect(proxied.text).toBe(direct.text);
      expect(proxied.headers.get('content-type')).toBe(direct.headers.get('content-type'));
    }
    const created = await call(`${passthrough.url}/rest/json/zv/contacts`, 'POST', '{"first_name":"A"}');
    expect(created.status).toBe(200);
  });
});

describe('the bench report', () => {
  const figures = (rps: number, p50: number): Figures => ({ rps, p50, p99: p50 * 3, requests: rps * 5, non2xx: 0, errors: 0, latency1: { p50, p99: p50 * 2, rps } });

  test('when runs differ, then each figure is the median of the runs', () => {
    const m = median([figures(100, 1), figures(300, 3), figures(200, 2)]);
    expect(m.rps).toBe(200);
    expect(m.p50).toBe(2);
    expect(m.latency1).toEqual({ p50: 2, p99: 4, rps: 200 });
  });

  test('when ratios are asked for, then they are per run first, then the median', () => {
    const call: CallFigures = {
      label: 'get',
      method: 'GET',
      path: '/x',
      targets: {},
      perRun: [
        { passthrough: figures(1000, 0.4), nginx: figures(2000, 0.2), gateway: figures(500, 0.6) },
        { passthrough: figures(400, 0.4), nginx: figures(800, 0.2), gateway: figures(300, 0.7) },
        { passthrough: figures(1000, 0.5), nginx: figures(2000, 0.2), gateway: figures(800, 0.6) },
      ],
    };
    // 0.5, 0.75, 0.8 -> 0.75 (the median of the medians, 500/1000, would say 0.5).
    expect(ratios(call, 'gateway')).toEqual({ gatewayOverPassthrough: 0.75, gatewayOverNginx: 0.375, addedLatencyP50Ms: 0.2 });
  });
});
