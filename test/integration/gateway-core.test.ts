import request from 'supertest';
import { rawRequest } from '../helpers/raw-http';
import { startHarness, type Harness, simulatorLogPerTest } from '../helpers/harness';

const BASE = '/rest/json/zv/contacts';
const BIG_ID = '9223372036854775807';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());
// The simulator is not reset between tests (that would revoke the gateway's cached token):
// each test looks only at what the simulator received after it started.
const { received, contactCalls } = simulatorLogPerTest(() => h.sim);

describe('the six calls, lossless', () => {
  test('a 19-digit id keeps every digit through get, update and delete', async () => {
    const got = await request(h.url).get(`${BASE}/${BIG_ID}`).expect(200);
    expect(got.text).toContain(`"contact_id":"${BIG_ID}"`);
    expect(got.body.contacts.contact_id).toBe(BIG_ID);

    const updated = await request(h.url).put(`${BASE}/${BIG_ID}`).send({ first_name: 'Max', mobile: '+12015550100' }).expect(200);
    expect(updated.text).toContain(`"contact_id":"${BIG_ID}"`);
    expect(updated.body.contacts.first_name).toBe('Max');

    const deleted = await request(h.url).delete(`${BASE}/${BIG_ID}`).expect(200);
    expect(deleted.body).toEqual({ code: '200', contacts: BIG_ID, status: 'SUCCESS' });

    expect(contactCalls().map((c) => `${c.method} ${c.path}`)).toEqual([
      `GET ${BASE}/${BIG_ID}`,
      `PUT ${BASE}/${BIG_ID}`,
      `DELETE ${BASE}/${BIG_ID}`,
    ]);
  });

  test('9007199254740993 (2^53 + 1) is not confused with 9007199254740992', async () => {
    const res = await request(h.url).get(`${BASE}/9007199254740993`).expect(200);
    expect(res.text).toContain('"contact_id":"9007199254740993"');
    expect(res.body.contacts.first_name).toBe('Beyond');
  });

  test('get answers in the one shape: contact_id a string, contact_owner {id, display_value}', async () => {
    const res = await request(h.url).get(`${BASE}/315000153768793`).expect(200);
    expect(res.body.contacts.contact_id).toBe('315000153768793');
    expect(res.body.contacts.contact_owner).toEqual({ id: '415005010526109', display_value: null });
    expect(res.body.contacts.number).toEqual(['+12015550126']);
    expect(res.body.contacts.created_time).toBe(1728037831825);
  });

  test('list: paging passes through, ids stay strings, owners are objects, meta.total as Zoho sent it', async () => {
    const res = await request(h.url).get(`${BASE}?from=0&size=2`).expect(200);
    expect(res.body.meta).toEqual({ total: -1 });
    expect(res.body.contacts.map((c: { contact_id: string }) => c.contact_id)).toEqual(['347000014281004', '347000014281005']);
    expect(res.body.contacts[0].contact_owner).toEqual({ id: '347000000003015', display_value: 'Vignesh' });
    const counted = await request(h.url).get(`${BASE}?totalCount=true&size=50`).expect(200);
    expect(counted.body.meta.total).toBe(counted.body.contacts.length);
    expect(counted.body.contacts.map((c: { contact_id: string }) => c.contact_id)).toContain('1234567890123456789');
    expect(contactCalls()[1]!.query).toEqual({ totalCount: 'true', size: '50' });
  });

  test('contact statuses: ids are strings', async () => {
    const res = await request(h.url).get(`${BASE}/contact_status`).expect(200);
    expect(res.body.contact_status.map((s: { id: string }) => s.id)).toEqual(['1000000000027', '1000000000029', '1000000000031']);
  });

  test("Zoho's own error answers pass through with their status and body", async () => {
    const res = await request(h.url).get(`${BASE}/1`).expect(404);
    expect(res.body).toMatchObject({ code: 'CONTACT_NOT_FOUND', status: 'ERROR' });
    expect(contactCalls()).toHaveLength(1);
  });
});

describe('create and update bodies', () => {
  const contact = { first_name: 'Ada', last_name: 'Lovelace', mobile: '+12015550123', email: 'ada@example.test', contact_status: { id: '1000000000031', display_value: 'VIP' } };

  function sentContact(): unknown {
    const [call] = contactCalls();
    expect(call!.headers['content-type']).toBe('application/x-www-form-urlencoded; charset=utf-8');
    const form = new URLSearchParams(call!.body);
    expect([...form.keys()]).toEqual(['contact']);
    return JSON.parse(form.get('contact')!);
  }

  test('application/json {"contact": {...}} reaches Zoho as the `contact` JSON string with the same fields', async () => {
    const res = await request(h.url).post(BASE).send({ contact }).expect(200);
    expect(sentContact()).toEqual(contact);
    expect(h.sim.createdContactIds()).toContain(res.body.contacts.contact_id);
    expect(res.body.contacts.contact_id).toMatch(/^\d{19}$/);
  });

  test('application/json with the contact object itself', async () => {
    await request(h.url).post(BASE).send(contact).expect(200);
    expect(sentContact()).toEqual(contact);
  });

  test("Zoho's own form: contact as a JSON string in an urlencoded body", async () => {
    await request(h.url).post(BASE).type('form').send({ contact: JSON.stringify(contact) }).expect(200);
    expect(sentContact()).toEqual(contact);
  });

  test("Zoho's own form: contact as a JSON string in the query", async () => {
    await request(h.url).post(`${BASE}?contact=${encodeURIComponent(JSON.stringify(contact))}`).expect(200);
    expect(sentContact()).toEqual(contact);
  });

  test('application/json {"contact": "<json text>"} is accepted too', async () => {
    await request(h.url).put(`${BASE}/1234567890123456789`).send({ contact: JSON.stringify(contact) }).expect(200);
    expect(sentContact()).toEqual(contact);
  });

  test('a 400 names every bad field and nothing goes upstream', async () => {
    const res = await request(h.url).post(BASE).send({ last_name: 7, phone9: 'x' }).expect(400);
    expect(res.body.code).toBe('INVALID_BODY');
    expect(res.body.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['first_name', 'last_name', 'mobile', 'phone9']);
    expect(contactCalls()).toEqual([]);
  });

  test.each([
    ['text/plain', 'first_name=A', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['application/json', '{"first_name":', 400, 'MALFORMED_BODY'],
    ['application/json', '[{"first_name":"A","mobile":"1"}]', 400, 'INVALID_BODY'],
  ])('Content-Type %s with %j: %i %s, nothing upstream', async (type, body, status, code) => {
    const res = await request(h.url).post(BASE).set('Content-Type', type).send(body).expect(status);
    expect(res.body).toMatchObject({ status: 'ERROR', code });
    expect(contactCalls()).toEqual([]);
  });

  test('a body over the limit is 413 and nothing goes upstream', async () => {
    const res = await request(h.url).post(BASE).send({ first_name: 'A', mobile: '1', address: 'x'.repeat(70_000) }).expect(413);
    expect(res.body.code).toBe('BODY_TOO_LARGE');
    expect(contactCalls()).toEqual([]);
  });
});

describe('only the six calls, nothing unvalidated upstream', () => {
  test.each([
    ['GET', `${BASE}/12345678901234567890`, 400, 'INVALID_CONTACT_ID'],
    ['GET', `${BASE}/abc`, 400, 'INVALID_CONTACT_ID'],
    ['DELETE', `${BASE}/%2e%2e`, 400, 'INVALID_PATH'],
    ['GET', `${BASE}/..%2F..%2Fadmin`, 400, 'INVALID_PATH'],
    ['GET', `${BASE}/%252e%252e%252fadmin`, 400, 'INVALID_PATH'],
    ['GET', '/rest/json/zv/calls', 404, 'ROUTE_NOT_FOUND'],
    ['GET', '/oauth/v2/token', 404, 'ROUTE_NOT_FOUND'],
    ['PATCH', `${BASE}/1`, 405, 'METHOD_NOT_ALLOWED'],
    ['DELETE', BASE, 405, 'METHOD_NOT_ALLOWED'],
    ['GET', `${BASE}?size=10&size=5000`, 400, 'INVALID_QUERY'],
    ['GET', `${BASE}?size=51`, 400, 'INVALID_QUERY'],
    ['GET', `${BASE}/1?fields=all`, 400, 'INVALID_QUERY'],
  ])('%s %s: %i %s in the envelope, and nothing reaches Zoho', async (method, path, status, code) => {
    const res = await request(h.url)[method.toLowerCase() as 'get'](path).expect(status);
    expect(res.body).toEqual({ status: 'ERROR', code, message: expect.any(String), request_id: res.headers['x-request-id'], ...(res.body.details ? { details: res.body.details } : {}) });
    expect(received()).toEqual([]);
  });

  test('a GET with a body is refused: the body would otherwise travel unvalidated', async () => {
    const res = await request(h.url).get(`${BASE}/1`).set('Content-Type', 'application/json').send('{"x":1}').expect(400);
    expect(res.body.code).toBe('INVALID_BODY');
    expect(received()).toEqual([]);
  });

  test('an HTTP/1.1 request without Host gets 400 INVALID_HEADER in the envelope, and nothing reaches Zoho', async () => {
    const answer = await rawRequest(h.url, 'GET /rest/json/zv/contacts/contact_status HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({
      status: 'ERROR',
      code: 'INVALID_HEADER',
      message: 'A request header is not valid.',
      request_id: answer.headers['x-request-id'],
      details: { fields: [{ field: 'host', problem: 'is required in HTTP/1.1' }] },
    });
    expect(received()).toEqual([]);
  });

  test('405 names the allowed methods', async () => {
    const res = await request(h.url).patch(`${BASE}/1`).expect(405);
    expect(res.headers.allow).toBe('GET, PUT, DELETE');
  });
});

describe('credentials: the caller sends none, upstream gets only the gateway token', () => {
  test("the caller's Authorization, Cookie, Proxy-* and X-Forwarded-* never reach Zoho; the injected token is one Zoho issued", async () => {
    await request(h.url)
      .get(`${BASE}/contact_status`)
      .set('Authorization', 'Zoho-oauthtoken caller-supplied-token')
      .set('Cookie', 'session=caller-cookie')
      .set('Proxy-Authorization', 'Basic Zm9vOmJhcg==')
      .set('X-Forwarded-For', '10.1.2.3')
      .set('X-Forwarded-Host', 'evil.test')
      .set('X-Custom', 'x')
      .expect(200);
    const [call] = contactCalls();
    expect(Object.keys(call!.headers).sort()).toEqual(['accept', 'authorization', 'connection', 'host', 'user-agent'].filter((k) => k in call!.headers).sort());
    expect(call!.headers.cookie).toBeUndefined();
    expect(call!.headers['x-forwarded-for']).toBeUndefined();
    expect(call!.headers['x-custom']).toBeUndefined();
    expect(call!.headers.accept).toBe('application/json');
    const token = String(call!.headers.authorization).replace(/^Zoho-oauthtoken /, '');
    expect(call!.headers.authorization).toBe(`Zoho-oauthtoken ${token}`);
    expect(h.sim.issuedTokens()).toContain(token);
  });

  test('the upstream Host is the configured Voice host, whatever Host the caller sent', async () => {
    await request(h.url).get(`${BASE}/contact_status`).set('Host', 'evil.test').expect(200);
    expect(contactCalls()[0]!.headers.host).toBe(new URL(h.sim.url).host);
  });
});

describe('errors and request ids', () => {
  test("every answer carries X-Request-Id: the caller's when well-formed, a new one otherwise", async () => {
    const mine = await request(h.url).get(`${BASE}/contact_status`).set('X-Request-Id', 'trace-123');
    expect(mine.headers['x-request-id']).toBe('trace-123');
    const bad = await request(h.url).get('/nope').set('X-Request-Id', 'bad id\twith spaces');
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(bad.body.request_id).toBe(bad.headers['x-request-id']);
  });

  test('an HTML answer from Zoho on a non-auth error is a 502 UPSTREAM_BAD_RESPONSE, retried first for a GET', async () => {
    h.sim.faults.contacts('http_502', 3);
    const res = await request(h.url).get(`${BASE}/contact_status`).expect(502);
    expect(res.body.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(contactCalls()).toHaveLength(3);
  });

  test('a revoked token: one refresh, one retry, and the caller still gets 200', async () => {
    await request(h.url).get(`${BASE}/contact_status`).expect(200);
    const before = h.sim.tokenCalls();
    h.sim.revokeAllTokens();
    await request(h.url).get(`${BASE}/contact_status`).expect(200);
    expect(h.sim.tokenCalls() - before).toBe(1);
    expect(contactCalls().map((c) => c.status)).toEqual([200, 401, 200]);
  });
});

describe('health', () => {
  test('/healthz is up and /readyz is ready when a token can be had', async () => {
    expect((await request(h.url).get('/healthz').expect(200)).body).toEqual({ status: 'UP' });
    expect((await request(h.url).get('/readyz').expect(200)).body).toEqual({ status: 'READY' });
  });
});
