/**
 * Property tests over paths, headers and bodies (fast-check, bounded runs), against a real gateway
 * and the simulator. For whatever is generated:
 *  - the gateway never crashes and never answers 5xx (Zoho is healthy, so a 5xx would be ours);
 *  - everything that reached the simulator is valid by an oracle written independently of the
 *    gateway's validators (an ajv JSON Schema and plain regular expressions), and for a contact,
 *    is exactly what the caller sent;
 *  - a refused request sent nothing upstream.
 */
import Ajv from 'ajv';
import fc from 'fast-check';
import request from 'supertest';
import type { SimulatorLogEntry } from '../../src/simulator/zoho-simulator';
import { bearer, callersFixture, type CallersFixture } from '../helpers/callers';
import { startHarness, type Harness } from '../helpers/harness';
import { rawHttp, rawRequest } from '../helpers/raw-http';

const BASE = '/rest/json/zv/contacts';
const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);
const TEXT_FIELDS = ['first_name', 'last_name', 'email', 'mobile', 'mobile1', 'mobile2', 'mobile3', 'phone', 'phone1', 'phone2', 'phone3', 'company', 'address', 'state', 'country', 'is_favourite', 'is_spam'];
const UPSTREAM_HEADERS = new Set(['accept', 'authorization', 'connection', 'content-length', 'content-type', 'host', 'user-agent']);

// The oracle: Zoho's documented contact, as a JSON Schema, independent of the gateway's zod schema.
const SAFE_CHAR = '[^\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069\\ud800-\\udfff]';
const text = { type: 'string', maxLength: 1000, pattern: `^${SAFE_CHAR}*$` };
const requiredText = { type: 'string', maxLength: 1000, pattern: `^(?=[\\s\\S]*\\S)${SAFE_CHAR}*$` };
const validContact = new Ajv({ allErrors: false }).compile({
  type: 'object',
  additionalProperties: false,
  required: ['first_name', 'mobile'],
  properties: {
    ...Object.fromEntries(TEXT_FIELDS.map((f) => [f, text])),
    first_name: requiredText,
    mobile: requiredText,
    contact_status: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: { id: { type: 'string', pattern: '^[0-9]{1,19}$' }, display_value: text },
    },
  },
});

/** Is this what the gateway may send Zoho? Returns the forwarded contact, if any. */
function checkForwarded(entry: SimulatorLogEntry): unknown {
  const item = /^\/rest\/json\/zv\/contacts\/[0-9]{1,19}$/.test(entry.path);
  const collection = entry.path === BASE;
  const statuses = entry.path === `${BASE}/contact_status`;
  expect(item || collection || statuses).toBe(true);
  const allowedMethods = collection ? ['GET', 'POST'] : item ? ['GET', 'PUT', 'DELETE'] : ['GET'];
  expect(allowedMethods).toContain(entry.method);
  for (const name of Object.keys(entry.headers)) expect(UPSTREAM_HEADERS.has(name)).toBe(true);
  expect(String(entry.headers.authorization)).toMatch(/^Zoho-oauthtoken [^\s]+$/);
  expect(entry.headers.accept).toBe('application/json');
  expect(entry.headers['user-agent']).toBe('zoho-voice-gateway');

  const query = Object.entries(entry.query);
  if (collection && entry.method === 'GET') {
    for (const [name, value] of query) {
      expect(['from', 'size', 'totalCount']).toContain(name);
      expect(typeof value).toBe('string');
      if (name === 'from') expect(value).toMatch(/^[0-9]{1,9}$/);
      if (name === 'size') expect(Number(value)).toBeGreaterThanOrEqual(1);
      if (name === 'size') expect(Number(value)).toBeLessThanOrEqual(50);
      if (name === 'totalCount') expect(['true', 'false']).toContain(value);
    }
  } else {
    expect(query).toEqual([]);
  }

  if (entry.method === 'POST' || entry.method === 'PUT') {
    const form = new URLSearchParams(entry.body);
    expect([...form.keys()]).toEqual(['contact']);
    const contact = JSON.parse(form.get('contact')!) as unknown;
    if (!validContact(contact)) throw new Error(`forwarded an invalid contact: ${JSON.stringify(validContact.errors)}`);
    return contact;
  }
  expect(entry.body).toBe('');
  return undefined;
}

let callers: CallersFixture;
let h: Harness;
beforeAll(async () => {
  callers = callersFixture([{ name: 'admin', scopes: ['zohovoice.contacts.ALL'] }]);
  h = await startHarness({ env: { GATEWAY_CALLERS_FILE: callers.file, RATE_LIMIT_RPS: '0', LOG_LEVEL: 'warn' } });
  await request(h.url).get(`${BASE}/contact_status`).set('Authorization', bearer(callers.keys.admin!)).expect(200);
});
afterAll(async () => {
  // Never crashed: still alive and answering, and never hit the unexpected-error path.
  await request(h.url).get('/healthz').expect(200);
  expect(h.logLines.filter((l) => l.includes('unexpected error'))).toEqual([]);
  await h.close();
  callers.remove();
});

interface Outcome {
  status: number;
  sent: SimulatorLogEntry[];
}

async function sendRaw(bytes: string | Buffer): Promise<Outcome> {
  const start = h.sim.log.length;
  const answer = await rawRequest(h.url, bytes);
  // The simulator logs on arrival; the gateway answers only after Zoho did, so this is complete.
  return { status: answer.status, sent: h.sim.log.slice(start).filter((e) => e.kind === 'contacts') };
}

/** How many generated requests went upstream and how many were refused: both must happen, or the property proves little. */
const tally = { forwarded: 0, refused: 0 };

function expectSafe(outcome: Outcome): unknown[] {
  if (outcome.sent.length > 0) tally.forwarded++;
  else tally.refused++;
  expect(outcome.status).toBeGreaterThanOrEqual(200);
  expect(outcome.status).toBeLessThan(500);
  if (outcome.status >= 400 && outcome.sent.length === 0) return [];
  if (outcome.status >= 400) {
    // Refused by Zoho itself (e.g. an unknown status id), never by the gateway after sending.
    for (const e of outcome.sent) expect(e.status).toBe(outcome.status);
  }
  return outcome.sent.map(checkForwarded);
}

const segment = fc.oneof(
  fc.constantFrom('rest', 'json', 'zv', 'contacts', 'contact_status', '..', '.', '', '%2e%2e', '%252e', '%2f', '%00', '%0d%0a', '\\', ';x=1', '~', '*', '@', ':', '%EF%BC%91'),
  fc.stringMatching(/^[0-9]{1,22}$/),
  fc.stringMatching(/^[A-Za-z0-9%._~!$&'()*+,;=:@-]{1,12}$/),
);
const path = fc.oneof(
  fc.array(segment, { maxLength: 7 }).map((s) => `/${s.join('/')}`),
  fc.array(segment, { maxLength: 3 }).map((s) => `${BASE}/${s.join('/')}`),
  fc.stringMatching(/^[0-9]{0,21}$/).map((id) => `${BASE}/${id}`),
);
const queryPart = fc.oneof(
  fc.constant(''),
  fc.array(fc.tuple(fc.constantFrom('from', 'size', 'totalCount', 'contact', 'SIZE', 'x', '', '%00'), fc.oneof(fc.stringMatching(/^[0-9]{0,3}$/), fc.constantFrom('true', 'false', '-1', '1e1', '%ZZ', '%0d%0a'))), { maxLength: 4 }).map(
    (pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`,
  ),
);

beforeEach(() => {
  tally.forwarded = 0;
  tally.refused = 0;
});
afterEach(() => {
  expect(tally.forwarded).toBeGreaterThan(0);
  expect(tally.refused).toBeGreaterThan(0);
});

describe('the oracle itself', () => {
  const good: SimulatorLogEntry = {
    seq: 1,
    ts: 0,
    kind: 'contacts',
    method: 'POST',
    path: BASE,
    query: {},
    headers: { host: 'h', accept: 'application/json', authorization: 'Zoho-oauthtoken t', 'user-agent': 'zoho-voice-gateway', 'content-type': 'application/x-www-form-urlencoded', 'content-length': '1' },
    body: `contact=${encodeURIComponent('{"first_name":"山田","mobile":"1"}')}`,
  };
  test.each([
    ['a control character in a field', { body: `contact=${encodeURIComponent('{"first_name":"a\u001b","mobile":"1"}')}` }],
    ['a bidi override', { body: `contact=${encodeURIComponent('{"first_name":"a\u202e","mobile":"1"}')}` }],
    ['a number where a string goes', { body: `contact=${encodeURIComponent('{"first_name":1,"mobile":"1"}')}` }],
    ['an undocumented field', { body: `contact=${encodeURIComponent('{"first_name":"a","mobile":"1","x":"1"}')}` }],
    ['a caller header', { headers: { ...good.headers, 'x-forwarded-for': '1.2.3.4' } }],
    ['a 20-digit id', { method: 'PUT', path: `${BASE}/12345678901234567890` }],
    ['a polluted query', { method: 'GET', body: '', query: { size: ['1', '2'] } }],
  ])('rejects %s (so the properties below can fail)', (_name, change) => {
    tally.forwarded = 1;
    tally.refused = 1;
    expect(checkForwarded(good)).toEqual({ first_name: '山田', mobile: '1' });
    expect(() => checkForwarded({ ...good, ...change } as SimulatorLogEntry)).toThrow();
  });
});

describe('property: paths and queries', () => {
  test('any method, path and query: never 5xx, never anything invalid upstream', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), path, queryPart, async (method, p, q) => {
        const outcome = await sendRaw(rawHttp(method, `${p}${q}`, { Authorization: bearer(callers.keys.admin!) }));
        expectSafe(outcome);
      }),
      { numRuns: RUNS },
    );
  });
});

const headerName = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/),
  fc.constantFrom('X-Forwarded-For', 'X-Forwarded-Host', 'Forwarded', 'Proxy-Authorization', 'Cookie', 'Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Accept', 'User-Agent', 'Via', 'X-HTTP-Method-Override', 'Authorization', 'Expect', 'Upgrade', 'TE', 'X-Request-Id'),
);
const headerValue = fc.oneof(
  fc.stringMatching(/^[\x20-\x7e]{0,40}$/),
  fc.string({ maxLength: 20, unit: 'binary' }).map((s) => Buffer.from(s, 'utf8').toString('latin1')),
  fc.constantFrom('evil.example', '0', '-1', 'chunked', 'close', 'a\r\nInjected: 1', 'a\nb', 'a\u0000b', '100-continue'),
);

describe('property: headers', () => {
  test('any extra headers on a valid call: never 5xx, only allow-listed headers upstream', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }), async (extra) => {
        const lines = [`Authorization: ${bearer(callers.keys.admin!)}`, ...extra.map(([n, v]) => `${n}: ${v}`)];
        const outcome = await sendRaw(rawHttp('GET', `${BASE}/contact_status`, lines));
        expectSafe(outcome);
      }),
      { numRuns: RUNS },
    );
  });
});

const anyJson = fc.jsonValue({ maxDepth: 3 });
/** Mostly plausible values (so that many contacts are accepted and the forwarded ones get checked), some hostile. */
const fieldValue = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[A-Za-z0-9 +@.'-]{1,20}$/) },
  { weight: 2, arbitrary: fc.constantFrom('山田 太郎', 'عائشة', 'Zoë 🚀', 'Nguyễn', '\u200bzero-width') },
  { weight: 2, arbitrary: fc.string({ maxLength: 20, unit: 'grapheme' }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 5, unit: fc.constantFrom('\u0000', '\u001b', '\u0085', '\u202e', '\u2066', '\ud800', '\udc00', 'a', ' ') }) },
  { weight: 1, arbitrary: anyJson },
);
const statusValue = fc.oneof(
  fc.record({ id: fc.oneof(fc.constantFrom('1000000000027', '1000000000029'), fc.stringMatching(/^[0-9]{1,21}$/), anyJson), display_value: fieldValue }, { requiredKeys: ['id'] }),
  anyJson,
);
/** The two required fields and up to three more (documented or not), each plausible or hostile. */
const contactLike = fc
  .tuple(
    fieldValue,
    fieldValue,
    fc.uniqueArray(
      fc.constantFrom(...TEXT_FIELDS, 'contact_status', 'extra').chain((key) => fc.tuple(fc.constant(key), key === 'contact_status' ? statusValue : fieldValue)),
      { maxLength: 3, selector: ([key]) => key },
    ),
  )
  .map(([first, mobile, more]) => ({ first_name: first, mobile, ...Object.fromEntries(more) }));
const body = fc.oneof(
  { weight: 5, arbitrary: contactLike.map((c) => JSON.stringify(c)) },
  { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60, unit: 'binary' }) },
  { weight: 1, arbitrary: contactLike.map((c) => `contact=${encodeURIComponent(JSON.stringify(c))}`) },
);
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/x-www-form-urlencoded', 'text/plain', 'application/xml', '');

describe('property: bodies', () => {
  test('any body and content type on create and update: never 5xx; what goes upstream is valid and exactly what was sent', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('POST', 'PUT'), body, contentType, async (method, text, type) => {
        const target = method === 'POST' ? BASE : `${BASE}/1234567890123456789`;
        const headers = [`Authorization: ${bearer(callers.keys.admin!)}`, ...(type ? [`Content-Type: ${type}`] : [])];
        const outcome = await sendRaw(rawHttp(method, target, headers, text));
        const forwarded = expectSafe(outcome);
        if (forwarded.length > 0) {
          // The contact the caller sent, in either of its two forms.
          const sent = text.startsWith('contact=') ? JSON.parse(new URLSearchParams(text).get('contact')!) : JSON.parse(text);
          const inner = sent !== null && typeof sent === 'object' && 'contact' in sent && Object.keys(sent).length === 1 ? (typeof sent.contact === 'string' ? JSON.parse(sent.contact) : sent.contact) : sent;
          for (const contact of forwarded) expect(contact).toEqual(inner);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
