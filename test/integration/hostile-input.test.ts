/**
 * The hostile-input suite: every way a caller might try to get something past the gateway.
 * Each refused request must get a clear 4xx envelope with the expected code, and the simulator's
 * log must show that nothing at all went upstream. Requests go over raw TCP where an HTTP client
 * would tidy them (dot segments, CR/LF, unencoded unicode, lying headers).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ERROR_CATALOG, type ErrorCode } from '../../src/errors/catalog';
import { CONTACT_TEXT_FIELDS } from '../../src/contacts/contact-input';
import { ROUTES } from '../../src/proxy/routes';
import { CONTACT_STATUSES } from '../../src/simulator/zoho-simulator';
import { bearer, callersFixture, type CallersFixture } from '../helpers/callers';
import { capturedLogger } from '../helpers/log-capture';
import { startHarness, type Harness, simulatorLogPerTest } from '../helpers/harness';
import { rawHttp, rawRequest, type RawAnswer } from '../helpers/raw-http';

const BASE = '/rest/json/zv/contacts';
const VALID = { first_name: 'Ada', mobile: '+12015550123' };
const ACTIVE_STATUS_ID = CONTACT_STATUSES[0]!.id;
/** What the forwarder may send upstream, whatever the caller sent. */
const UPSTREAM_HEADERS = ['accept', 'authorization', 'connection', 'content-length', 'content-type', 'host', 'user-agent'];

let callers: CallersFixture;
let h: Harness;
beforeAll(async () => {
  callers = callersFixture([
    { name: 'admin', scopes: ['zohovoice.contacts.ALL'] },
    { name: 'reader', scopes: ['zohovoice.contacts.READ'] },
    { name: 'deleter', scopes: ['zohovoice.contacts.DELETE'] },
  ]);
  h = await startHarness({ env: { GATEWAY_CALLERS_FILE: callers.file, RATE_LIMIT_RPS: '0', LOG_LEVEL: 'debug' } });
  // Warm the token, so "nothing upstream" below means nothing at all, token calls included.
  const warm = await send('GET', `${BASE}/contact_status`, { Authorization: bearer(callers.keys.admin!) });
  expect(warm.status).toBe(200);
});
afterAll(async () => {
  await h.close();
  callers.remove();
});
const { received: upstream } = simulatorLogPerTest(() => h.sim);
const admin = () => bearer(callers.keys.admin!);

interface Answer extends RawAnswer {
  json: Record<string, unknown>;
}

/** One request over raw TCP, exactly as written. */
async function send(method: string, target: string, headers: Record<string, string> | string[] = {}, body: string | Buffer = ''): Promise<Answer> {
  const head = rawHttp(method, target, headers, typeof body === 'string' ? body : '');
  const bytes = typeof body === 'string' ? head : Buffer.concat([Buffer.from(head.replace(/\r\n\r\n$/, `\r\nContent-Length: ${body.length}\r\n\r\n`), 'latin1'), body]);
  const answer = await rawRequest(h.url, bytes);
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(answer.body) as Record<string, unknown>;
  } catch {
    /* asserted by expectRefused */
  }
  return { ...answer, json };
}

const json = (body: unknown) => ({ headers: { Authorization: admin(), 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** A clear 4xx envelope with this code, and nothing upstream. */
function expectRefused(answer: Answer, code: ErrorCode): void {
  const { status, message } = ERROR_CATALOG[code];
  expect({ status: answer.status, code: answer.json.code }).toEqual({ status, code });
  expect(status).toBeGreaterThanOrEqual(400);
  expect(status).toBeLessThan(500);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(answer.json).toMatchObject({ status: 'ERROR', code, message, request_id: answer.headers['x-request-id'] });
  expect(upstream()).toEqual([]);
}

/** The fields the envelope's details name as bad. */
const badFields = (answer: Answer): string[] => ((answer.json.details as { fields: { field: string }[] }).fields ?? []).map((f) => f.field);

describe('keys: forms HTTP clients would not send', () => {
  test.each([
    ['a NUL inside the key', [`Authorization: Bearer zvgw_abc\u0000def${'x'.repeat(30)}`], 'INVALID_HEADER'],
    ['a CR/LF splitting the key into a second header', [`Authorization: Bearer zvgw_${'a'.repeat(40)}\r\nX-Scope: zohovoice.contacts.ALL`], 'UNAUTHENTICATED'],
    ['a bare CR inside the key', [`Authorization: Bearer zvgw_${'a'.repeat(20)}\r${'b'.repeat(20)}`], 'INVALID_HEADER'],
    ['latin-1 bytes in the key', [`Authorization: Bearer zvgw_\u00e9\u00e8${'a'.repeat(40)}`], 'UNAUTHENTICATED'],
    ['the key in the query string instead', [], 'UNAUTHENTICATED'],
    ['two Authorization headers, the second a real key', ['Authorization: Bearer nope-nope-nope-nope', `Authorization: ${'{admin}'}`], 'UNAUTHENTICATED'],
  ] as const)('%s: refused', async (name, headers, code) => {
    const target = name.includes('query') ? `${BASE}/contact_status?access_token=${callers.keys.admin}` : `${BASE}/contact_status`;
    const lines = headers.map((l) => l.replace('{admin}', admin()));
    expectRefused(await send('GET', target, lines), code);
  });
});

describe('scope escalation: every route, with every trick for looking like another call', () => {
  const tricks = {
    'X-HTTP-Method-Override': 'GET',
    'X-HTTP-Method': 'GET',
    'X-Method-Override': 'GET',
    'X-Original-URL': `${BASE}/contact_status`,
    'X-Rewrite-URL': `${BASE}/contact_status`,
    'X-Forwarded-Prefix': '/admin',
    'X-Scopes': 'zohovoice.contacts.ALL',
    'X-Caller': 'admin',
  };
  test.each(ROUTES.map((r) => [r.name, r] as const))('%s by a caller lacking its scope: 403, nothing upstream', async (_name, route) => {
    const caller = route.scope === 'zohovoice.contacts.DELETE' ? 'reader' : 'deleter';
    const target = route.template.replace('{contact_id}', '1234567890123456789');
    const body = route.takesContact ? JSON.stringify(VALID) : '';
    const headers = { ...tricks, Authorization: bearer(callers.keys[caller]!), ...(body ? { 'Content-Type': 'application/json' } : {}) };
    const answer = await send(route.method, target, headers, body);
    expectRefused(answer, 'FORBIDDEN');
    expect(answer.json.details).toEqual({ needs_scope: route.scope });
  });

  test('a method override cannot turn an allowed GET into a DELETE upstream', async () => {
    const answer = await send('GET', `${BASE}/1234567890123456789`, { Authorization: bearer(callers.keys.reader!), 'X-HTTP-Method-Override': 'DELETE' });
    expect(answer.status).toBe(200);
    expect(upstream().map((e) => `${e.method} ${e.path}`)).toEqual([`GET ${BASE}/1234567890123456789`]);
  });

  test('_method in the query is not a parameter', async () => {
    expectRefused(await send('POST', `${BASE}/1?_method=DELETE`, { Authorization: bearer(callers.keys.reader!) }), 'METHOD_NOT_ALLOWED');
    expectRefused(await send('GET', `${BASE}/1?_method=DELETE`, { Authorization: bearer(callers.keys.reader!) }), 'INVALID_QUERY');
  });
});

describe('paths: traversal, encoded and double-encoded, and other disguises', () => {
  test.each([
    ['dot segments', `${BASE}/../contacts/1`, 'INVALID_PATH'],
    ['dot segments to another API', `${BASE}/../../../oauth/v2/token`, 'INVALID_PATH'],
    ['encoded dots', `${BASE}/%2e%2e/%2e%2e/admin`, 'INVALID_PATH'],
    ['encoded slash', `${BASE}/1%2f..%2f2`, 'INVALID_PATH'],
    ['double-encoded dots and slash', `${BASE}/%252e%252e%252fadmin`, 'INVALID_PATH'],
    ['mixed', `${BASE}/..%2f..%2fcontacts`, 'INVALID_PATH'],
    ['single dot', '/rest/json/zv/./contacts', 'INVALID_PATH'],
    ['backslashes', `${BASE}\\..\\..\\admin`, 'INVALID_PATH'],
    ['doubled slash', `${BASE}//1`, 'INVALID_PATH'],
    ['encoded NUL', `${BASE}/1%00`, 'INVALID_PATH'],
    ['encoded CR/LF', `${BASE}/1%0d%0aX-Injected:%201`, 'INVALID_PATH'],
    ['matrix parameter', `${BASE};jsessionid=1`, 'INVALID_PATH'],
    ['encoded fullwidth digits', `${BASE}/%EF%BC%91%EF%BC%92`, 'INVALID_PATH'],
    ['20-digit id', `${BASE}/12345678901234567890`, 'INVALID_CONTACT_ID'],
    ['negative id', `${BASE}/-1`, 'INVALID_PATH'],
    ['exponent id', `${BASE}/1e3`, 'INVALID_CONTACT_ID'],
    ['hex id', `${BASE}/0x1F`, 'INVALID_CONTACT_ID'],
    ['a trailing slash', `${BASE}/1/`, 'ROUTE_NOT_FOUND'],
    ['a sub-resource', `${BASE}/1/notes`, 'ROUTE_NOT_FOUND'],
    ['protocol-relative', `//evil.example${BASE}`, 'ROUTE_NOT_FOUND'],
    ['absolute-form target (proxy request to another host)', `http://evil.example${BASE}`, 'ROUTE_NOT_FOUND'],
    ['asterisk-form', '*', 'ROUTE_NOT_FOUND'],
  ] as const)('%s: %s is refused', async (_name, target, code) => {
    expectRefused(await send('GET', target, { Authorization: admin() }), code);
  });

  test('raw (unencoded) unicode in the path is refused by the HTTP parser, in the envelope', async () => {
    expectRefused(await send('GET', `${BASE}/\u0661\u0662`, { Authorization: admin() }), 'MALFORMED_REQUEST');
  });

  test.each(['TRACE', 'OPTIONS', 'PATCH', 'HEAD'])('%s is not one of the six calls', async (method) => {
    const answer = await send(method, `${BASE}/1`, { Authorization: admin() });
    if (method === 'HEAD') {
      expect(answer.status).toBe(405); // no body on HEAD, by definition
      expect(upstream()).toEqual([]);
    } else {
      expectRefused(answer, 'METHOD_NOT_ALLOWED');
    }
  });

  test('CONNECT (use the gateway as a tunnel to any host): 405 in the envelope, not a silent drop', async () => {
    const answer = await send('CONNECT', 'voice.zoho.com:443', { Authorization: admin() });
    expectRefused(answer, 'METHOD_NOT_ALLOWED');
    expect(answer.headers.allow).toBe('GET, POST, PUT, DELETE');
  });

  test('an Upgrade (websocket) request is served as a plain call or refused; nothing is tunnelled', async () => {
    const answer = await send('GET', `${BASE}/contact_status`, { Authorization: admin(), Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' });
    expect(answer.status).not.toBe(101);
    expect(answer.status).toBeLessThan(500);
    for (const entry of upstream()) expect(entry.headers.upgrade).toBeUndefined();
  });
});

describe('CR/LF and header injection', () => {
  test.each([
    ['a raw CR/LF inside a header value', ['X-Note: a\r\nInjected: 1\rmore'], 'INVALID_HEADER'],
    ['a bare LF inside a header value', ['X-Note: a\nInjected: 1'], 'INVALID_HEADER'],
    ['a NUL in a header value', ['X-Note: a\u0000b'], 'INVALID_HEADER'],
    ['a space in a header name', ['X Note: a'], 'INVALID_HEADER'],
    ['an obsolete folded header', ['X-Note: a', ' folded: b'], 'INVALID_HEADER'],
    ['Content-Length and Transfer-Encoding together (smuggling)', ['Content-Length: 4', 'Transfer-Encoding: chunked'], 'INVALID_HEADER'],
    ['two different Content-Lengths (smuggling)', ['Content-Length: 1', 'Content-Length: 2'], 'INVALID_HEADER'],
    ['a Content-Length that is not a number', ['Content-Length: 12abc'], 'INVALID_HEADER'],
    ['32 kB of headers', [`X-Big: ${'a'.repeat(32 * 1024)}`], 'HEADERS_TOO_LARGE'],
  ] as const)('%s: refused before Express, in the envelope', async (_name, headers, code) => {
    expectRefused(await send('POST', BASE, [`Authorization: ${admin()}`, ...headers]), code);
  });

  test('an encoded CR/LF in a query value is refused', async () => {
    expectRefused(await send('GET', `${BASE}?size=10%0d%0aX-Injected:%201`, { Authorization: admin() }), 'INVALID_QUERY');
  });

  test('CR/LF in a contact field is refused (it would split a header or a log line downstream)', async () => {
    const { headers, body } = json({ ...VALID, company: 'Acme\r\nX-Injected: 1' });
    const answer = await send('POST', BASE, headers, body);
    expectRefused(answer, 'INVALID_BODY');
    expect(badFields(answer)).toEqual(['company']);
  });

  test('a malformed X-Request-Id is replaced, not echoed, and never forwarded', async () => {
    const answer = await send('GET', `${BASE}/contact_status`, { Authorization: admin(), 'X-Request-Id': 'abc%0d%0aSet-Cookie:%20a=b' });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.headers['set-cookie']).toBeUndefined();
    expect(Object.keys(upstream()[0]!.headers).sort()).toEqual(UPSTREAM_HEADERS.filter((n) => !n.startsWith('content-')));
  });
});

describe('bodies: oversize, truncated, malformed', () => {
  const LIMIT = 64 * 1024;

  test('the default body limit is 64 kB: one byte over is 413, and the body is not forwarded', async () => {
    const padded = JSON.stringify({ ...VALID, company: 'x'.repeat(LIMIT) }).slice(0, LIMIT + 1);
    expectRefused(await send('POST', BASE, { Authorization: admin(), 'Content-Type': 'application/json' }, padded), 'BODY_TOO_LARGE');
  });

  test('exactly 64 kB (whitespace padding) is accepted and only the validated contact goes upstream', async () => {
    const text = JSON.stringify(VALID);
    const body = text.slice(0, -1) + ' '.repeat(LIMIT - text.length) + '}';
    expect(Buffer.byteLength(body)).toBe(LIMIT);
    const answer = await send('POST', BASE, { Authorization: admin(), 'Content-Type': 'application/json' }, body);
    expect(answer.status).toBe(200);
    const [sent] = upstream().filter((e) => e.kind === 'contacts');
    expect(sent!.body).toBe(`contact=${encodeURIComponent(JSON.stringify(VALID)).replace(/%20/g, '+')}`);
  });

  test('an oversize chunked body (no Content-Length) is cut off at the limit: 413', async () => {
    const chunk = 'x'.repeat(16 * 1024);
    const chunks = Array.from({ length: 6 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('');
    const raw = rawHttp('POST', BASE, [`Authorization: ${admin()}`, 'Content-Type: application/json', 'Transfer-Encoding: chunked'], '') + `${chunks}0\r\n\r\n`;
    const answer = await rawRequest(h.url, raw);
    expectRefused({ ...answer, json: JSON.parse(answer.body) }, 'BODY_TOO_LARGE');
  });

  test('a gzip bomb is measured inflated: 1 MB of JSON in 1 kB of gzip is 413', async () => {
    const bomb = gzipSync(Buffer.from(`{"first_name":"${' '.repeat(1024 * 1024)}"}`));
    expect(bomb.length).toBeLessThan(4096);
    expectRefused(await send('POST', BASE, { Authorization: admin(), 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, bomb), 'BODY_TOO_LARGE');
  });

  test('an unknown content encoding is 415', async () => {
    expectRefused(await send('POST', BASE, { Authorization: admin(), 'Content-Type': 'application/json', 'Content-Encoding': 'compress' }, '{}'), 'UNSUPPORTED_MEDIA_TYPE');
  });

  test.each([
    ['truncated JSON', '{"first_name":"Ada","mob'],
    ['a missing value', '{"first_name": }'],
    ["the seed's single quotes", "{'first_name': 'Ada', 'mobile': '1'}"],
    ['a trailing comma', '{"first_name":"Ada","mobile":"1",}'],
    ['NaN', '{"first_name":"Ada","mobile":NaN}'],
    ['two documents', '{"first_name":"Ada","mobile":"1"}{"first_name":"Eve"}'],
    ['a bare string (not strict JSON)', '"Ada"'],
    ['a bare number', '42'],
    ['null', 'null'],
  ])('%s: 400 MALFORMED_BODY', async (_name, body) => {
    expectRefused(await send('POST', BASE, { Authorization: admin(), 'Content-Type': 'application/json' }, body), 'MALFORMED_BODY');
  });

  test.each([
    ['text/plain', 'text/plain'],
    ['XML', 'application/xml'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['JSON in Latin-1', 'application/json; charset=iso-8859-1'],
    ['a JSON look-alike', 'application/json-patch+json'],
  ])('a contact sent as %s: 415', async (_name, type) => {
    expectRefused(await send('PUT', `${BASE}/1`, { Authorization: admin(), 'Content-Type': type }, JSON.stringify(VALID)), 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('a body on a call that takes none: 400', async () => {
    expectRefused(await send('DELETE', `${BASE}/1`, { Authorization: admin(), 'Content-Type': 'application/json' }, JSON.stringify(VALID)), 'INVALID_BODY');
  });

  test.each([
    ['an array', [VALID], ['body']],
    ['an array inside contact', { contact: [VALID] }, ['contact']],
    ['an operator object where a string goes', { first_name: { $ne: null }, mobile: '1' }, ['first_name']],
    ['numbers, booleans and null where strings go', { first_name: 123, mobile: null, is_favourite: true, email: 1e308, company: ['a'] }, ['first_name', 'mobile', 'is_favourite', 'email', 'company']],
    ['a numeric status id', { ...VALID, contact_status: { id: 347000000013003 } }, ['contact_status.id']],
    ['a nested object in contact_status', { ...VALID, contact_status: { id: '1', display_value: { a: 1 } } }, ['contact_status.display_value']],
    ['an undocumented field', { ...VALID, contact_owner: '1' }, ['contact_owner']],
    ['__proto__ (prototype pollution)', JSON.parse(`{"first_name":"A","mobile":"1","__proto__":{"admin":true}}`), ['__proto__']],
    ['constructor.prototype', { ...VALID, constructor: { prototype: { admin: true } } }, ['constructor']],
    ['an empty object', {}, ['first_name', 'mobile']],
    ['blank required fields', { first_name: '   ', mobile: '' }, ['first_name', 'mobile']],
    ['a 1001-character field', { ...VALID, address: 'a'.repeat(1001) }, ['address']],
  ])('%s: 400 INVALID_BODY naming the fields', async (_name, value, fields) => {
    const { headers, body } = json(value);
    const answer = await send('POST', BASE, headers, body);
    expectRefused(answer, 'INVALID_BODY');
    expect(badFields(answer).sort()).toEqual([...fields].sort());
  });

  test('deeply nested JSON (5,000 levels) in a field: 400, no stack overflow', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const answer = await send('POST', BASE, { Authorization: admin(), 'Content-Type': 'application/json' }, `{"first_name":${deep},"mobile":"1"}`);
    expectRefused(answer, 'INVALID_BODY');
    expect(badFields(answer)).toEqual(['first_name']);
    const top = await send('POST', BASE, { Authorization: admin(), 'Content-Type': 'application/json' }, `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`);
    expectRefused(top, 'INVALID_BODY');
    const inForm = await send('POST', BASE, { Authorization: admin(), 'Content-Type': 'application/x-www-form-urlencoded' }, `contact=${encodeURIComponent(deep)}`);
    expectRefused(inForm, 'INVALID_BODY');
  });

  test('a 10,000-key object over the 64 kB limit: 413', async () => {
    const keys = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, '']));
    expectRefused(await send('POST', BASE, json(keys).headers, json(keys).body), 'BODY_TOO_LARGE');
  });

  test('10,000 form parameters: 400, too many parameters', async () => {
    const form = Array.from({ length: 10_000 }, (_, i) => `${i.toString(36)}=`).join('&');
    expect(form.length).toBeLessThan(LIMIT);
    const answer = await send('POST', BASE, { Authorization: admin(), 'Content-Type': 'application/x-www-form-urlencoded' }, form);
    expectRefused(answer, 'INVALID_BODY');
    expect(answer.json.details).toEqual({ fields: [{ field: 'body', problem: 'has too many parameters' }] });
  });

  test('a 10,000-key object under a 1 MB limit: 400 naming 25 fields and counting the rest', async () => {
    const big = await startHarness({ simulator: h.sim, env: { GATEWAY_CALLERS_FILE: callers.file, BODY_LIMIT_BYTES: String(1024 * 1024) } });
    try {
      const keys = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, '']));
      const answer = await rawRequest(big.url, rawHttp('POST', BASE, { Authorization: admin(), 'Content-Type': 'application/json' }, JSON.stringify(keys)));
      const envelope = JSON.parse(answer.body) as { code: string; details: { fields: unknown[]; more: number } };
      expect(answer.status).toBe(400);
      expect(envelope.code).toBe('INVALID_BODY');
      // 10,000 unknown keys plus the two required fields missing.
      expect(envelope.details.fields).toHaveLength(25);
      expect(envelope.details.more).toBe(10_002 - 25);
      expect(answer.body.length).toBeLessThan(4096);
      expect(upstream()).toEqual([]);
    } finally {
      await big.close();
    }
  });

  test('repeated keys: the value validated is the value sent, once', async () => {
    const answer = await send('POST', BASE, { Authorization: admin(), 'Content-Type': 'application/json' }, '{"first_name":"Mallory","first_name":"Ada","mobile":"1"}');
    expect(answer.status).toBe(200);
    const [sent] = upstream().filter((e) => e.kind === 'contacts');
    expect(JSON.parse(new URLSearchParams(sent!.body).get('contact')!)).toEqual({ first_name: 'Ada', mobile: '1' });
  });
});

describe('query pollution', () => {
  test.each([
    ['a repeated parameter', '?size=10&size=5000'],
    ['a repeated parameter, other case', '?size=10&SIZE=5000'],
    ['array syntax', '?size[]=10'],
    ['an encoded second parameter in a value', '?size=10%26size%3D5000'],
    ['size above 50', '?size=51'],
    ['size zero', '?size=0'],
    ['a negative from', '?from=-1'],
    ['an exponent', '?size=1e1'],
    ['hex', '?size=0x10'],
    ['a non-boolean totalCount', '?totalCount=1'],
    ['a broken escape', '?size=%ZZ'],
    ['a fragment sent raw', '?size=10#frag'],
    ['an unknown parameter', '?fields=all'],
    ['a parameter with control characters in its name', '?%00%1b=1'],
  ])('list with %s (%s): 400 INVALID_QUERY', async (_name, query) => {
    expectRefused(await send('GET', `${BASE}${query}`, { Authorization: admin() }), 'INVALID_QUERY');
  });

  test('a query on a call that takes none: 400', async () => {
    expectRefused(await send('GET', `${BASE}/contact_status?size=1`, { Authorization: admin() }), 'INVALID_QUERY');
    expectRefused(await send('DELETE', `${BASE}/1?force=true`, { Authorization: admin() }), 'INVALID_QUERY');
  });

  test('a repeated contact parameter on create: 400', async () => {
    const contact = encodeURIComponent(JSON.stringify(VALID));
    expectRefused(await send('POST', `${BASE}?contact=${contact}&contact=${contact}`, { Authorization: admin() }), 'INVALID_QUERY');
  });

  test('a 20 kB query string is over the header limit: 431', async () => {
    expectRefused(await send('GET', `${BASE}?size=${'1'.repeat(20 * 1024)}`, { Authorization: admin() }), 'HEADERS_TOO_LARGE');
  });

  test('only the canonical query goes upstream, rebuilt from validated values', async () => {
    const answer = await send('GET', `${BASE}?size=5&totalCount=true&from=0`, { Authorization: admin() });
    expect(answer.status).toBe(200);
    expect(upstream().filter((e) => e.kind === 'contacts').map((e) => e.query)).toEqual([{ totalCount: 'true', from: '0', size: '5' }]);
  });
});

describe('unicode and control characters in every field', () => {
  const FORBIDDEN: [string, string][] = [
    ['NUL', '\u0000'],
    ['BEL', '\u0007'],
    ['an ANSI escape', '\u001b[31m'],
    ['DEL', '\u007f'],
    ['C1 NEL', '\u0085'],
    ['a right-to-left override', '\u202e'],
    ['a first-strong isolate', '\u2068'],
    ['a lone surrogate', '\ud800'],
  ];
  const FIELDS = [...CONTACT_TEXT_FIELDS, 'contact_status.display_value'];

  function contactWith(field: string, value: string): Record<string, unknown> {
    if (field === 'contact_status.display_value') return { ...VALID, contact_status: { id: ACTIVE_STATUS_ID, display_value: value } };
    return { ...VALID, [field]: value };
  }

  test.each(FIELDS)('%s: every control or bidi character is refused, naming the field', async (field) => {
    for (const [name, char] of FORBIDDEN) {
      const { headers, body } = json(contactWith(field, `Ada${char}Lovelace`));
      const answer = await send('PUT', `${BASE}/1234567890123456789`, headers, body);
      expect({ name, status: answer.status, code: answer.json.code, fields: badFields(answer) }).toEqual({ name, status: 400, code: 'INVALID_BODY', fields: [field] });
    }
    expect(upstream()).toEqual([]);
  });

  test('the same holds in the form and in the query (Zoho\'s own contact=<json> form)', async () => {
    const text = JSON.stringify(contactWith('last_name', 'Evil\u202egnp.exe'));
    const form = await send('POST', BASE, { Authorization: admin(), 'Content-Type': 'application/x-www-form-urlencoded' }, `contact=${encodeURIComponent(text)}`);
    expectRefused(form, 'INVALID_BODY');
    expect(badFields(form)).toEqual(['last_name']);
    const query = await send('POST', `${BASE}?contact=${encodeURIComponent(text)}`, { Authorization: admin() });
    expectRefused(query, 'INVALID_BODY');
  });

  test('unicode in a header name or unencoded in a header value', async () => {
    expectRefused(await send('GET', `${BASE}/contact_status`, [`Authorization: ${admin()}`, 'X-N\u00e4me: 1']), 'INVALID_HEADER');
  });

  test.each([
    ['Japanese', { first_name: '山田', last_name: '太郎', company: '株式会社ゾーホー', address: '東京都千代田区', mobile: '+81312345678' }],
    ['Arabic (right-to-left letters, no override characters)', { first_name: 'عائشة', last_name: 'الحسن', mobile: '+971501234567' }],
    ['emoji and combining marks', { first_name: 'Zoë 🚀', last_name: 'Nguyễn', mobile: '+84912345678' }],
    ['the seed\'s translated status value', { first_name: 'Aki', mobile: '+81300000000', contact_status: { id: ACTIVE_STATUS_ID, display_value: '有効' } }],
  ])('%s letters are names, not attacks: 200, and Zoho receives exactly them', async (_name, contact) => {
    const { headers, body } = json(contact);
    const answer = await send('POST', BASE, headers, body);
    expect(answer.status).toBe(200);
    const [sent] = upstream().filter((e) => e.kind === 'contacts');
    expect(JSON.parse(new URLSearchParams(sent!.body).get('contact')!)).toEqual(contact);
  });
});

describe('what reaches Zoho', () => {
  test("whatever the caller sends, upstream gets only the allow-listed headers: no X-Forwarded-*, Proxy-*, Cookie or the caller's key", async () => {
    const hostile = {
      Authorization: admin(),
      Host: 'evil.example',
      'X-Forwarded-For': '10.0.0.1',
      'X-Forwarded-Host': 'evil.example',
      'X-Forwarded-Proto': 'http',
      'X-Forwarded-Prefix': '/x',
      Forwarded: 'for=10.0.0.1;host=evil.example',
      'X-Real-IP': '10.0.0.1',
      'True-Client-IP': '10.0.0.1',
      'Proxy-Authorization': 'Basic cHJveHk6cHJveHk=',
      'Proxy-Connection': 'keep-alive',
      Cookie: 'session=abc; zoho_token=def',
      Via: '1.1 evil',
      Origin: 'https://evil.example',
      Referer: 'https://evil.example/x',
      'X-Request-Id': 'trace-me-123',
      'X-Custom': 'x',
      Expect: 'x-unknown-expectation',
      TE: 'trailers',
      'Accept-Encoding': 'gzip, br',
      'Accept-Language': 'ja',
      'Content-Type': 'application/json',
    };
    const answer = await send('POST', BASE, hostile, JSON.stringify(VALID));
    expect(answer.status).toBe(200);
    // helmet's headers are on every answer of the app.
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['x-frame-options']).toBe('SAMEORIGIN');
    const [sent] = upstream().filter((e) => e.kind === 'contacts');
    expect(Object.keys(sent!.headers).sort()).toEqual(UPSTREAM_HEADERS);
    expect(sent!.headers.host).toBe(new URL(h.sim.url).host);
    expect(sent!.headers.accept).toBe('application/json');
    expect(sent!.headers['content-type']).toBe('application/x-www-form-urlencoded; charset=utf-8');
    expect(sent!.headers.authorization).toMatch(/^Zoho-oauthtoken /);
    expect(JSON.stringify(sent)).not.toContain(callers.keys.admin!);
    expect(JSON.stringify(sent)).not.toContain('evil.example');
  });

  test('an upstream redirect is never followed: the caller gets 502 and the redirect target sees nothing', async () => {
    let hits = 0;
    const redirector: Server = createServer((req, res) => {
      hits++;
      res.writeHead(302, { Location: `${h.sim.url}${req.url}` }).end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', () => r()));
    const target = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
    const g = await startHarness({ simulator: h.sim, env: { GATEWAY_CALLERS_FILE: callers.file, ZOHO_VOICE_URL: target, RETRY_MAX_ATTEMPTS: '1' } });
    try {
      const start = h.sim.log.length;
      const answer = await rawRequest(g.url, rawHttp('GET', `${BASE}/contact_status`, { Authorization: admin() }));
      expect(answer.status).toBe(502);
      expect(JSON.parse(answer.body).code).toBe('UPSTREAM_BAD_RESPONSE');
      expect(hits).toBe(1);
      expect(h.sim.log.slice(start).filter((e) => e.kind === 'contacts')).toEqual([]);
    } finally {
      await g.close();
      await new Promise<void>((r) => redirector.close(() => r()));
    }
  });
});

describe('the logs', () => {
  test('redaction by construction: secret-named fields, headers, URL fields, and URLs quoted inside error messages and stacks', () => {
    const { log, lines } = capturedLogger('debug');
    log.error(
      {
        err: new Error('connect failed: redis://gw:hunter2@10.0.0.7:6379/0 and https://voice.zoho.com/rest/json/zv/contacts?contact=%7B%22first_name%22%3A%22Zelda-Q%22%7D'),
        url: 'https://accounts.zoho.com/oauth/v2/token?refresh_token=1000.abc',
        req: { url: '/rest/json/zv/contacts?access_token=zzz', headers: { authorization: 'Bearer zvgw_live_key', cookie: 'sid=1' } },
        upstream: { token: 'tok-123', nested: { password: 'pw-456' } },
      },
      'boom',
    );
    const line = lines.join('\n');
    for (const secret of ['hunter2', 'Zelda-Q', '1000.abc', 'zzz', 'zvgw_live_key', 'sid=1', 'tok-123', 'pw-456']) expect(line).not.toContain(secret);
    const parsed = JSON.parse(lines[0]!) as { err: { message: string; stack: string } };
    expect(parsed.err.message).toBe('connect failed: redis://10.0.0.7:6379/0 and https://voice.zoho.com/rest/json/zv/contacts?[REDACTED]');
    expect(parsed.err.stack).toContain('redis://10.0.0.7:6379/0');
  });

  test('after this whole suite at debug level, no log line holds a caller key, a Zoho token or a contact from a body', () => {
    const text = h.logLines.join('\n');
    expect(h.logLines.length).toBeGreaterThan(100);
    for (const secret of [...Object.values(callers.keys), ...h.sim.issuedTokens(), 'Lovelace', '山田', 'Mallory']) expect(text).not.toContain(secret);
  });
});
