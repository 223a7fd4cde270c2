/**
 * Tests of the Zoho simulator itself, over real loopback HTTP. Answers are checked as raw TEXT:
 * the point of the simulator is exact digits and exact shapes, which a JSON.parse would hide.
 */
import { request as httpRequest } from 'node:http';
import {
  CONTACTS_FAULT_KINDS, FIRST_CREATED_ID, SEEDED_CONTACT_IDS, TOKEN_FAULT_KINDS,
  startZohoSimulator, type SimulatorOptions, type ZohoSimulator,
} from '../../src/simulator/zoho-simulator';

const C = '/rest/json/zv/contacts';
const INVALID_TOKEN_BODY = '{"code":"INVALID_OAUTHTOKEN","message":"Invalid OAuth token","status":"ERROR"}';
const RATE_LIMIT_BODY = '{"error":"Access Denied","error_description":"You have made too many requests continuously. Please try again after some time.","status":"failure"}';

const SEED_SINGLE_TEXT =
  '{"code":"200","contacts":{"country":"","created_time":1728037831825,"is_spam":"","address":"","mobile":"+12015550123",' +
  '"mobile1":"","phone2":"","last_name":"","phone3":"","is_favourite":"","contact_id":315000153768793,"phone1":"",' +
  '"number":["+12015550126"],"phone":"","mobile3":"","mobile2":"","contact_owner":415005010526109,"company":"","state":"",' +
  '"first_name":"test","email":""},"status":"SUCCESS"}';

const SEED_LIST_TEXT =
  '{"code":"200","meta":{"total":-1},"contacts":[' +
  '{"country":"","is_spam":"","address":"","mobile":"+15135493562","mobile1":"","phone2":"","last_name":"8Foller","phone3":"",' +
  '"is_favourite":"","contact_id":"347000014281004","phone1":"","phone":"+15135495601","mobile3":"",' +
  '"contact_owner":{"display_value":"Vignesh","id":"347000000003015"},"mobile2":"","company":"","state":"","first_name":"Andrej","email":""},' +
  '{"country":"","is_spam":"","address":"","mobile":"+18562644130","mobile1":"","phone2":"","last_name":"91Venere","phone3":"",' +
  '"is_favourite":"","contact_id":"347000014281005","phone1":"","phone":"+18566368749","mobile3":"",' +
  '"contact_owner":{"display_value":"Vignesh","id":"347000000003015"},"mobile2":"","company":"","state":"","first_name":"Art","email":""}' +
  '],"status":"SUCCESS"}';

const STATUS_TEXT =
  '{"code":"200","contact_status":[{"display_value":"Active","id":"1000000000027"},' +
  '{"display_value":"Inactive","id":"1000000000029"},{"display_value":"VIP","id":"1000000000031"}],"status":"SUCCESS"}';

interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

const form = (o: Record<string, string>): string => new URLSearchParams(o).toString();
const FORM = 'application/x-www-form-urlencoded';

function tokenForm(over: Record<string, string> = {}): string {
  return form({ grant_type: 'refresh_token', client_id: 'sim-client-id', client_secret: 'sim-client-secret', refresh_token: 'sim-refresh-token', ...over });
}

async function post(sim: ZohoSimulator, path: string, body: string, headers: Record<string, string> = { 'content-type': FORM }, init: RequestInit = {}): Promise<Answer> {
  const r = await fetch(sim.url + path, { method: 'POST', body, headers, ...init });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

async function mint(sim: ZohoSimulator): Promise<string> {
  const a = await post(sim, '/oauth/v2/token', tokenForm());
  const m = /"access_token":"([^"]+)"/.exec(a.text);
  if (!m) throw new Error(`no token in ${a.text}`);
  return m[1]!;
}

async function api(sim: ZohoSimulator, method: string, path: string, token: string | undefined, opts: { body?: string; contentType?: string; signal?: AbortSignal } = {}): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== undefined) headers.authorization = `Zoho-oauthtoken ${token}`;
  if (opts.contentType) headers['content-type'] = opts.contentType;
  const r = await fetch(sim.url + path, { method, headers, body: opts.body, signal: opts.signal });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

const contactQ = (o: unknown): string => `contact=${encodeURIComponent(JSON.stringify(o))}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let sim: ZohoSimulator;
let tok: string;
async function startWith(opts: SimulatorOptions = {}): Promise<void> {
  await sim?.close();
  sim = await startZohoSimulator(opts);
  tok = await mint(sim);
}

beforeEach(async () => {
  sim = await startZohoSimulator();
  tok = await mint(sim);
});
afterEach(async () => {
  await sim.close();
});

describe('accounts token endpoint', () => {
  test('refresh_token grant answers Zoho’s shape', async () => {
    const a = await post(sim, '/oauth/v2/token', tokenForm());
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toMatch(/^application\/json/);
    expect(a.text).toMatch(/^\{"access_token":"1000\.[0-9a-f]{32}\.[0-9a-f]{32}","api_domain":"https:\/\/www\.zohoapis\.com","token_type":"Bearer","expires_in":3600\}$/);
    expect(sim.issuedTokens()).toHaveLength(2);
    expect(sim.tokenCalls()).toBe(2);
    expect(new Set(sim.issuedTokens()).size).toBe(2);
  });

  test('tokenLifetimeSec sets expires_in', async () => {
    await startWith({ tokenLifetimeSec: 120 });
    expect((await post(sim, '/oauth/v2/token', tokenForm())).text).toContain('"expires_in":120}');
  });

  test('credentials only in HTTP Basic are refused with invalid_client', async () => {
    const basic = Buffer.from('sim-client-id:sim-client-secret').toString('base64');
    const a = await post(sim, '/oauth/v2/token', form({ grant_type: 'refresh_token', refresh_token: 'sim-refresh-token' }), { 'content-type': FORM, authorization: `Basic ${basic}` });
    expect([a.status, a.text]).toEqual([200, '{"error":"invalid_client"}']);
  });

  test('wrong client, wrong refresh token, wrong grant, JSON body', async () => {
    expect((await post(sim, '/oauth/v2/token', tokenForm({ client_secret: 'nope' }))).text).toBe('{"error":"invalid_client"}');
    expect((await post(sim, '/oauth/v2/token', tokenForm({ client_id: 'nope' }))).text).toBe('{"error":"invalid_client"}');
    const bad = await post(sim, '/oauth/v2/token', tokenForm({ refresh_token: 'nope' }));
    expect([bad.status, bad.text]).toEqual([200, '{"error":"invalid_code"}']);
    expect((await post(sim, '/oauth/v2/token', tokenForm({ grant_type: 'client_credentials' }))).text).toBe('{"error":"unsupported_grant_type"}');
    const asJson = JSON.stringify({ grant_type: 'refresh_token', client_id: 'sim-client-id', client_secret: 'sim-client-secret', refresh_token: 'sim-refresh-token' });
    expect((await post(sim, '/oauth/v2/token', asJson, { 'content-type': 'application/json' })).text).toBe('{"error":"invalid_client"}');
    // Credentials in the query string only are not accepted either.
    expect((await post(sim, `/oauth/v2/token?${tokenForm()}`, '')).text).toBe('{"error":"invalid_client"}');
    expect(sim.issuedTokens()).toHaveLength(1);
  });

  test('revoked refresh token answers invalid_code until reset', async () => {
    sim.revokeRefreshToken();
    expect((await post(sim, '/oauth/v2/token', tokenForm())).text).toBe('{"error":"invalid_code"}');
    sim.reset();
    expect((await post(sim, '/oauth/v2/token', tokenForm())).text).toContain('"access_token"');
  });

  test('mintLimit answers the rate-limit body with HTTP 200 once exceeded', async () => {
    await startWith({ mintLimit: { count: 2, windowMs: 60_000 } }); // startWith already minted one
    expect((await post(sim, '/oauth/v2/token', tokenForm())).text).toContain('"access_token"');
    const a = await post(sim, '/oauth/v2/token', tokenForm());
    expect([a.status, a.text]).toEqual([200, RATE_LIMIT_BODY]);
    expect(sim.issuedTokens()).toHaveLength(2);
  });

  test('mintLimit window slides', async () => {
    await startWith({ mintLimit: { count: 1, windowMs: 150 } });
    expect((await post(sim, '/oauth/v2/token', tokenForm())).text).toBe(RATE_LIMIT_BODY);
    await sleep(200);
    expect((await post(sim, '/oauth/v2/token', tokenForm())).text).toContain('"access_token"');
  });

  test('tokenDelayMs delays every token answer', async () => {
    await startWith({ tokenDelayMs: 150 });
    const t0 = Date.now();
    await mint(sim);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });
});

describe('token faults', () => {
  test.each([
    ['invalid_client', 200, '{"error":"invalid_client"}'],
    ['invalid_code', 200, '{"error":"invalid_code"}'],
    ['rate_limit', 200, RATE_LIMIT_BODY],
    ['rate_limit_400', 400, RATE_LIMIT_BODY],
  ] as const)('%s', async (kind, status, body) => {
    sim.faults.token(kind);
    const a = await post(sim, '/oauth/v2/token', tokenForm());
    expect([a.status, a.text]).toEqual([status, body]);
    expect(sim.log.at(-1)!.fault).toBe(kind);
    // Only the next call: the one after is normal.
    expect((await post(sim, '/oauth/v2/token', tokenForm())).text).toContain('"access_token"');
  });

  test('http_500 answers an HTML 500', async () => {
    sim.faults.token('http_500');
    const a = await post(sim, '/oauth/v2/token', tokenForm());
    expect(a.status).toBe(500);
    expect(a.headers.get('content-type')).toMatch(/^text\/html/);
  });

  test('reset destroys the socket without an answer, after reading the body', async () => {
    sim.faults.token('reset');
    await expect(post(sim, '/oauth/v2/token', tokenForm())).rejects.toThrow();
    const e = sim.log.at(-1)!;
    expect(e.kind).toBe('token');
    expect(e.body).toContain('grant_type=refresh_token');
    expect(e.status).toBeUndefined();
    expect(sim.issuedTokens()).toHaveLength(1);
  });

  test('redirect answers 302 to a login page on the simulator', async () => {
    sim.faults.token('redirect', 2);
    const a = await post(sim, '/oauth/v2/token', tokenForm(), { 'content-type': FORM }, { redirect: 'manual' });
    expect(a.status).toBe(302);
    expect(a.headers.get('location')).toMatch(/^\/accounts\/signin\?/);
    // A client that follows it gets a 200 HTML page, not a token.
    const followed = await post(sim, '/oauth/v2/token', tokenForm());
    expect(followed.status).toBe(200);
    expect(followed.headers.get('content-type')).toMatch(/^text\/html/);
    expect(followed.text).toContain('Sign in');
    expect(sim.log.at(-1)!).toMatchObject({ kind: 'other', method: 'GET', path: '/accounts/signin' });
  });

  test('slow delays by ms, then answers normally', async () => {
    sim.faults.token('slow', 1, { ms: 200 });
    const t0 = Date.now();
    const a = await post(sim, '/oauth/v2/token', tokenForm());
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(a.text).toContain('"access_token"');
  });

  test('times, Infinity, FIFO order and clear', async () => {
    sim.faults.token('invalid_code', 2);
    sim.faults.token('invalid_client', Infinity);
    const texts: string[] = [];
    for (let i = 0; i < 4; i++) texts.push((await post(sim, '/oauth/v2/token', tokenForm())).text);
    expect(texts).toEqual(['{"error":"invalid_code"}', '{"error":"invalid_code"}', '{"error":"invalid_client"}', '{"error":"invalid_client"}']);
    sim.faults.clear();
    expect((await post(sim, '/oauth/v2/token', tokenForm())).text).toContain('"access_token"');
    expect(() => sim.faults.token('invalid_code', 0)).toThrow(RangeError);
    expect(() => sim.faults.token('nope' as never)).toThrow(RangeError);
    expect(TOKEN_FAULT_KINDS).toHaveLength(8);
  });
});

describe('voice contacts: authorization', () => {
  test.each([
    ['no header', undefined],
    ['unknown token', '1000.00000000000000000000000000000000.00000000000000000000000000000000'],
  ])('%s → 401 INVALID_OAUTHTOKEN', async (_name, token) => {
    const a = await api(sim, 'GET', `${C}/315000153768793`, token);
    expect([a.status, a.text]).toEqual([401, INVALID_TOKEN_BODY]);
  });

  test('Bearer scheme is not Zoho’s scheme', async () => {
    const r = await fetch(`${sim.url}${C}/contact_status`, { headers: { authorization: `Bearer ${tok}` } });
    expect([r.status, await r.text()]).toEqual([401, INVALID_TOKEN_BODY]);
  });

  test('revoked, revoked-all and expired tokens are refused', async () => {
    const other = await mint(sim);
    sim.revokeToken(tok);
    expect((await api(sim, 'GET', `${C}/contact_status`, tok)).status).toBe(401);
    expect((await api(sim, 'GET', `${C}/contact_status`, other)).status).toBe(200);
    sim.revokeAllTokens();
    expect((await api(sim, 'GET', `${C}/contact_status`, other)).status).toBe(401);
    const fresh = await mint(sim);
    expect((await api(sim, 'GET', `${C}/contact_status`, fresh)).status).toBe(200);
    sim.expireAllTokens();
    expect((await api(sim, 'GET', `${C}/contact_status`, fresh)).text).toBe(INVALID_TOKEN_BODY);
  });

  test('a token expires after tokenLifetimeSec', async () => {
    await startWith({ tokenLifetimeSec: 0 });
    expect((await api(sim, 'GET', `${C}/contact_status`, tok)).status).toBe(401);
  });
});

describe('voice contacts: the six calls, exact text', () => {
  test('get: the seed’s single-contact answer, byte for byte', async () => {
    const a = await api(sim, 'GET', `${C}/315000153768793`, tok);
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    expect(a.text).toBe(SEED_SINGLE_TEXT);
  });

  test('list: the seed’s list answer, byte for byte', async () => {
    const a = await api(sim, 'GET', `${C}?totalCount=false&from=0&size=2`, tok);
    expect(a.status).toBe(200);
    expect(a.text).toBe(SEED_LIST_TEXT);
  });

  test('contact_status: English display values and the seed’s ids', async () => {
    const a = await api(sim, 'GET', `${C}/contact_status`, tok);
    expect([a.status, a.text]).toEqual([200, STATUS_TEXT]);
  });

  test('ids above 2^53 are bare digits in single answers, strings in lists', async () => {
    const big = await api(sim, 'GET', `${C}/1234567890123456789`, tok);
    expect(big.text).toContain('"contact_id":1234567890123456789,');
    expect(big.text).toContain('"contact_owner":415005010526109,');
    expect(big.text).toContain('"contact_status":{"id":"1000000000031","display_value":"VIP"}');
    expect((await api(sim, 'GET', `${C}/9223372036854775807`, tok)).text).toContain('"contact_id":9223372036854775807,');
    expect((await api(sim, 'GET', `${C}/1152921504606846977`, tok)).text).toContain('"contact_id":1152921504606846977,');
    // ...993 and its double-rounded neighbour ...992 are two different contacts.
    const beyond = await api(sim, 'GET', `${C}/9007199254740993`, tok);
    expect(beyond.text).toContain('"contact_id":9007199254740993,');
    expect(beyond.text).toContain('"first_name":"Beyond"');
    expect((await api(sim, 'GET', `${C}/9007199254740992`, tok)).text).toContain('"first_name":"Exactly"');

    const list = await api(sim, 'GET', `${C}?from=0&size=50`, tok);
    for (const id of SEEDED_CONTACT_IDS) expect(list.text).toContain(`"contact_id":"${id}"`);
    expect(list.text).not.toMatch(/"contact_id":\d/);
    expect(list.text).not.toContain('"number"');
    expect(list.text).not.toContain('"created_time"');
    expect(list.text).toContain('"company":"Zoho 株式会社"');
  });

  test('list paging and totalCount', async () => {
    const all = await api(sim, 'GET', `${C}?totalCount=true&from=0&size=50`, tok);
    expect(all.text).toContain(`"meta":{"total":${SEEDED_CONTACT_IDS.length}}`);
    const page = await api(sim, 'GET', `${C}?from=2&size=1`, tok);
    expect(page.text).toContain('"meta":{"total":-1}');
    expect(page.text.match(/"contact_id":"(\d+)"/g)).toEqual(['"contact_id":"315000153768793"']);
    const beyond = await api(sim, 'GET', `${C}?from=100&size=10`, tok);
    expect(beyond.text).toBe('{"code":"200","meta":{"total":-1},"contacts":[],"status":"SUCCESS"}');
    const dflt = await api(sim, 'GET', C, tok);
    expect(dflt.text.match(/"contact_id"/g)).toHaveLength(SEEDED_CONTACT_IDS.length);
  });

  test.each(['size=0', 'size=51', 'size=x', 'from=-1', 'from=1.5'])('list rejects %s with 400', async (q) => {
    const a = await api(sim, 'GET', `${C}?${q}`, tok);
    expect(a.status).toBe(400);
    expect(a.text).toMatch(/^\{"code":"INVALID_PARAMETER","message":"[^"]+","status":"ERROR"\}$/);
  });

  test('create from the query string: bare 19-digit id, owner, number, email', async () => {
    const before = Date.now();
    const a = await api(sim, 'POST', `${C}?${contactQ({ first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com', mobile: '+12015550199', phone: '+12015550100', contact_status: { id: '1000000000029' } })}`, tok);
    expect(a.status).toBe(200);
    expect(a.text).toMatch(/^\{"code":"200","contacts":\{"country":"","created_time":(\d+),"is_spam":"",/);
    expect(Number(/"created_time":(\d+)/.exec(a.text)![1])).toBeGreaterThanOrEqual(before);
    expect(a.text).toContain(`"contact_id":${FIRST_CREATED_ID},`);
    expect(a.text).toContain('"contact_id":4000000000000000001,');
    expect(a.text).toContain('"number":["+12015550199","+12015550100"]');
    expect(a.text).toContain('"contact_owner":415005010526109,');
    expect(a.text).toContain('"first_name":"Ada","email":"ada@example.com","contact_status":{"id":"1000000000029","display_value":"Inactive"}},"status":"SUCCESS"}');
    expect(sim.createdContactIds()).toEqual(['4000000000000000001']);
    expect(sim.log.at(-1)!.query.contact).toContain('Ada');

    const again = await api(sim, 'GET', `${C}/4000000000000000001`, tok);
    expect(again.text).toContain('"first_name":"Ada"');
  });

  test('create from a form body; ids count up', async () => {
    await api(sim, 'POST', C, tok, { body: form({ contact: JSON.stringify({ first_name: 'A', mobile: '+1' }) }), contentType: FORM });
    const b = await api(sim, 'POST', C, tok, { body: form({ contact: JSON.stringify({ first_name: 'B', mobile: '+12015550111' }) }), contentType: `${FORM}; charset=UTF-8` });
    expect(b.text).toContain('"contact_id":4000000000000000002,');
    expect(b.text).toContain('"mobile":"+12015550111"');
    expect(sim.createdContactIds()).toEqual(['4000000000000000001', '4000000000000000002']);
    expect(sim.log.at(-1)!.body).toContain('contact=');
    const list = await api(sim, 'GET', `${C}?totalCount=true&size=50`, tok);
    expect(list.text).toContain('"contact_id":"4000000000000000002"');
    expect(list.text).toContain(`"total":${SEEDED_CONTACT_IDS.length + 2}`);
  });

  test.each([
    ['no contact', '', 'INVALID_PARAMETER'],
    ['not JSON', 'contact=%7Bnope', 'INVALID_PARAMETER'],
    ['not an object', `contact=${encodeURIComponent('["x"]')}`, 'INVALID_PARAMETER'],
    ['missing mobile', contactQ({ first_name: 'A' }), 'MANDATORY_PARAM_MISSING'],
    ['empty first_name', contactQ({ first_name: ' ', mobile: '+1' }), 'MANDATORY_PARAM_MISSING'],
    ['mistranslated key', contactQ({ first_name: 'A', mobile: '+1', 'メール': 'a@b.c' }), 'INVALID_DATA'],
    ['number instead of string', contactQ({ first_name: 'A', mobile: 12015550123 }), 'INVALID_DATA'],
    ['unknown status id', contactQ({ first_name: 'A', mobile: '+1', contact_status: { id: '1' } }), 'INVALID_DATA'],
  ])('create rejects %s with 400', async (_n, q, code) => {
    const a = await api(sim, 'POST', `${C}?${q}`, tok);
    expect(a.status).toBe(400);
    expect(a.text).toMatch(new RegExp(`^\\{"code":"${code}","message":"[^"]+","status":"ERROR"\\}$`));
    expect(sim.createdContactIds()).toEqual([]);
  });

  test('a JSON body is not the form parameter', async () => {
    const a = await api(sim, 'POST', C, tok, { body: JSON.stringify({ contact: JSON.stringify({ first_name: 'A', mobile: '+1' }) }), contentType: 'application/json' });
    expect(a.status).toBe(400);
    expect(a.text).toContain('"code":"INVALID_PARAMETER"');
  });

  test('update: partial merge, single-contact shape', async () => {
    const a = await api(sim, 'PUT', `${C}/1234567890123456789`, tok, { body: form({ contact: JSON.stringify({ first_name: 'Nina', mobile: '+12015550177', email: 'n@example.com' }) }), contentType: FORM });
    expect(a.status).toBe(200);
    expect(a.text).toContain('"contact_id":1234567890123456789,');
    expect(a.text).toContain('"last_name":"Digits"'); // kept
    expect(a.text).toContain('"first_name":"Nina","email":"n@example.com"');
    expect(a.text).toContain('"number":["+12015550177"]');
    expect((await api(sim, 'PUT', `${C}/1234567890123456789?${contactQ({ first_name: 'N' })}`, tok)).status).toBe(400);
    expect((await api(sim, 'PUT', `${C}/1234567890123456788?${contactQ({ first_name: 'N', mobile: '+1' })}`, tok)).text)
      .toBe('{"code":"CONTACT_NOT_FOUND","message":"Contact 1234567890123456788 does not exist","status":"ERROR"}');
  });

  test('delete answers the id as a string; the contact is gone', async () => {
    const a = await api(sim, 'DELETE', `${C}/9223372036854775807`, tok);
    expect([a.status, a.text]).toEqual([200, '{"code":"200","contacts":"9223372036854775807","status":"SUCCESS"}']);
    const gone = await api(sim, 'GET', `${C}/9223372036854775807`, tok);
    expect(gone.status).toBe(404);
    expect(gone.text).toContain('"code":"CONTACT_NOT_FOUND"');
    expect((await api(sim, 'DELETE', `${C}/9223372036854775807`, tok)).status).toBe(404);
  });

  test('bad ids, unknown paths and methods', async () => {
    expect((await api(sim, 'GET', `${C}/abc`, tok)).text).toContain('"code":"INVALID_PARAMETER"');
    expect((await api(sim, 'GET', `${C}/9223372036854775808`, tok)).status).toBe(400); // > signed 64-bit
    expect((await api(sim, 'GET', `${C}/9007199254740993.0`, tok)).status).toBe(400);
    expect((await api(sim, 'GET', `${C}/1/2`, tok)).status).toBe(404);
    expect((await api(sim, 'PATCH', `${C}/315000153768793`, tok)).status).toBe(405);
    expect((await api(sim, 'DELETE', C, tok)).status).toBe(405);
    expect((await api(sim, 'POST', `${C}/contact_status`, tok)).status).toBe(405);
    const other = await api(sim, 'GET', '/elsewhere', tok);
    expect(other.status).toBe(404);
    expect(sim.log.at(-1)!.kind).toBe('other');
  });
});

describe('contacts faults', () => {
  test.each([
    ['http_500', 500, /^application\/json/],
    ['http_502', 502, /^text\/html/],
    ['http_503', 503, /^text\/html/],
    ['http_429', 429, /^application\/json/],
    ['html_login', 200, /^text\/html/],
    ['invalid_oauthtoken', 401, /^application\/json/],
  ] as const)('%s answers %i and performs nothing', async (kind, status, type) => {
    sim.faults.contacts(kind);
    const a = await api(sim, 'POST', `${C}?${contactQ({ first_name: 'A', mobile: '+1' })}`, tok);
    expect(a.status).toBe(status);
    expect(a.headers.get('content-type')).toMatch(type);
    expect(sim.createdContactIds()).toEqual([]);
    expect(sim.contactCalls().at(-1)!).toMatchObject({ fault: kind, status });
    if (kind === 'http_429') expect(a.headers.get('retry-after')).toBe('1');
    if (kind === 'invalid_oauthtoken') expect(a.text).toBe(INVALID_TOKEN_BODY);
    if (kind === 'html_login') expect(a.text).toMatch(/^<!DOCTYPE html>/);
    // The next call is normal.
    expect((await api(sim, 'GET', `${C}/contact_status`, tok)).status).toBe(200);
  });

  test('method filter: a POST fault skips GETs', async () => {
    sim.faults.contacts('http_503', 1, { method: 'POST' });
    expect((await api(sim, 'GET', `${C}/contact_status`, tok)).status).toBe(200);
    expect((await api(sim, 'POST', `${C}?${contactQ({ first_name: 'A', mobile: '+1' })}`, tok)).status).toBe(503);
    expect((await api(sim, 'POST', `${C}?${contactQ({ first_name: 'A', mobile: '+1' })}`, tok)).status).toBe(200);
    expect(sim.faults.pending()).toEqual([]);
  });

  test('reset_before_response: the create happens, the answer is lost', async () => {
    sim.faults.contacts('reset_before_response', 1, { method: 'POST' });
    await expect(api(sim, 'POST', C, tok, { body: form({ contact: JSON.stringify({ first_name: 'Lost', mobile: '+1' }) }), contentType: FORM })).rejects.toThrow();
    expect(sim.createdContactIds()).toEqual(['4000000000000000001']);
    const e = sim.contactCalls().at(-1)!;
    expect(e).toMatchObject({ fault: 'reset_before_response', method: 'POST' });
    expect(e.body).toContain('Lost');
    expect(e.status).toBeUndefined();
    expect(e.dropped).toBeUndefined();
    expect((await api(sim, 'GET', `${C}/4000000000000000001`, tok)).text).toContain('"first_name":"Lost"');
  });

  test('reset_on_connect: dropped before the body is read, nothing performed', async () => {
    sim.faults.contacts('reset_on_connect');
    const err = await new Promise<Error>((resolve) => {
      const u = new URL(sim.url + C);
      const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { authorization: `Zoho-oauthtoken ${tok}`, 'content-type': FORM, 'content-length': '1000' } });
      req.on('error', resolve);
      req.on('response', () => resolve(new Error('unexpected response')));
      req.flushHeaders(); // headers only: the body is never sent
    });
    expect(err.message).not.toBe('unexpected response');
    const e = sim.contactCalls().at(-1)!;
    expect(e).toMatchObject({ kind: 'contacts', dropped: true, fault: 'reset_on_connect', body: '' });
    expect(sim.createdContactIds()).toEqual([]);

    // Same with a client that sends everything at once (fetch).
    sim.faults.contacts('reset_on_connect');
    await expect(api(sim, 'POST', `${C}?${contactQ({ first_name: 'A', mobile: '+1' })}`, tok)).rejects.toThrow();
    expect(sim.createdContactIds()).toEqual([]);
    expect(sim.contactCalls().filter((c) => c.dropped)).toHaveLength(2);
  });

  test('stall: answers after ms', async () => {
    sim.faults.contacts('stall', 1, { ms: 200 });
    const t0 = Date.now();
    const a = await api(sim, 'GET', `${C}/315000153768793`, tok);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(a.text).toBe(SEED_SINGLE_TEXT);
  });

  test('stall: a client that gives up causes nothing', async () => {
    sim.faults.contacts('stall', 1, { ms: 400 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await expect(api(sim, 'POST', `${C}?${contactQ({ first_name: 'A', mobile: '+1' })}`, tok, { signal: ac.signal })).rejects.toThrow();
    await sleep(500);
    expect(sim.createdContactIds()).toEqual([]);
    expect(sim.contactCalls().at(-1)!.status).toBeUndefined();
  });

  test('close() does not wait for a pending stall', async () => {
    sim.faults.contacts('stall', 1, { ms: 20_000 });
    const pending = api(sim, 'GET', `${C}/contact_status`, tok);
    pending.catch(() => undefined); // asserted below; avoid an unhandled rejection meanwhile
    await sleep(50);
    const t0 = Date.now();
    await sim.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect(pending).rejects.toThrow();
  });

  test('every fault kind is accepted', () => {
    for (const k of CONTACTS_FAULT_KINDS) sim.faults.contacts(k, Infinity);
    expect(sim.faults.pending()).toHaveLength(9);
    expect(() => sim.faults.contacts('http_502', 1, { method: 'PATCH' as never })).toThrow(RangeError);
  });
});

describe('log, reset and the HTTP control API', () => {
  test('the log records everything in order, with headers, query and body', async () => {
    await api(sim, 'GET', `${C}?from=0&size=1&size=2`, tok);
    const e = sim.log.at(-1)!;
    expect(e).toMatchObject({ kind: 'contacts', method: 'GET', path: C, status: 200, query: { from: '0', size: ['1', '2'] } });
    expect(e.headers.authorization).toBe(`Zoho-oauthtoken ${tok}`);
    expect(sim.log.map((x) => x.seq)).toEqual(sim.log.map((_x, i) => i + 1));
    expect(sim.log[0]!.kind).toBe('token');
  });

  test('stats, log (redacted) and /__sim not logged', async () => {
    await api(sim, 'POST', `${C}?${contactQ({ first_name: 'A', mobile: '+1' })}`, tok);
    const stats = await (await fetch(`${sim.url}/__sim/stats`)).text();
    expect(JSON.parse(stats)).toEqual({ tokenCalls: 1, contactCalls: 1, created: ['4000000000000000001'], issuedTokens: 1 });
    expect(stats).not.toContain(tok);

    const logText = await (await fetch(`${sim.url}/__sim/log`)).text();
    const entries = JSON.parse(logText) as Array<{ kind: string; headers: Record<string, string>; body: string }>;
    expect(entries.map((e) => e.kind)).toEqual(['token', 'contacts']);
    expect(logText).not.toContain(tok);
    expect(logText).not.toContain('sim-client-secret');
    expect(logText).not.toContain('sim-refresh-token');
    expect(entries[1]!.headers.authorization).toMatch(/^Zoho-oauthtoken \[redacted sha256:[0-9a-f]{12}\]$/);
    expect(entries[0]!.body).toContain('client_id=sim-client-id');
    expect(sim.log).toHaveLength(2);
  });

  test('POST /__sim/faults, DELETE /__sim/faults', async () => {
    const add = (spec: unknown): Promise<Response> => fetch(`${sim.url}/__sim/faults`, { method: 'POST', body: JSON.stringify(spec) });
    expect((await add({ target: 'contacts', kind: 'http_502', times: 2, method: 'GET' })).status).toBe(200);
    expect((await add({ target: 'token', kind: 'invalid_code', times: 'Infinity' })).status).toBe(200);
    expect((await add({ target: 'token', kind: 'slow', ms: 10 })).status).toBe(200);
    expect((await add({ target: 'token', kind: 'bogus' })).status).toBe(400);
    expect((await add({ target: 'nope', kind: 'http_502' })).status).toBe(400);
    expect((await fetch(`${sim.url}/__sim/faults`, { method: 'POST', body: '{' })).status).toBe(400);
    expect((await api(sim, 'GET', `${C}/contact_status`, tok)).status).toBe(502);
    expect((await api(sim, 'GET', `${C}/contact_status`, tok)).status).toBe(502);
    expect((await api(sim, 'GET', `${C}/contact_status`, tok)).status).toBe(200);
    expect((await post(sim, '/oauth/v2/token', tokenForm())).text).toBe('{"error":"invalid_code"}');
    expect(JSON.parse(await (await fetch(`${sim.url}/__sim/faults`)).text())).toHaveLength(2);
    expect((await fetch(`${sim.url}/__sim/faults`, { method: 'DELETE' })).status).toBe(200);
    expect(sim.faults.pending()).toEqual([]);
  });

  test('POST /__sim/revoke-all, /__sim/expire-all, /__sim/revoke-refresh', async () => {
    await fetch(`${sim.url}/__sim/revoke-all`, { method: 'POST' });
    expect((await api(sim, 'GET', `${C}/contact_status`, tok)).status).toBe(401);
    const t2 = await mint(sim);
    await fetch(`${sim.url}/__sim/expire-all`, { method: 'POST' });
    expect((await api(sim, 'GET', `${C}/contact_status`, t2)).status).toBe(401);
    await fetch(`${sim.url}/__sim/revoke-refresh`, { method: 'POST' });
    expect((await post(sim, '/oauth/v2/token', tokenForm())).text).toBe('{"error":"invalid_code"}');
    expect((await fetch(`${sim.url}/__sim/nope`)).status).toBe(404);
  });

  test('reset (in-process and POST /__sim/reset) re-seeds and forgets everything', async () => {
    await api(sim, 'DELETE', `${C}/315000153768793`, tok);
    await api(sim, 'POST', `${C}?${contactQ({ first_name: 'A', mobile: '+1' })}`, tok);
    sim.faults.contacts('http_500', Infinity);
    const logRef = sim.log;
    expect((await fetch(`${sim.url}/__sim/reset`, { method: 'POST' })).status).toBe(200);
    expect(logRef).toHaveLength(0);
    expect(sim.createdContactIds()).toEqual([]);
    expect(sim.issuedTokens()).toEqual([]);
    expect(sim.faults.pending()).toEqual([]);
    expect((await api(sim, 'GET', `${C}/contact_status`, tok)).status).toBe(401); // old token forgotten
    const t2 = await mint(sim);
    expect((await api(sim, 'GET', `${C}/315000153768793`, t2)).text).toBe(SEED_SINGLE_TEXT);
    expect((await api(sim, 'POST', `${C}?${contactQ({ first_name: 'A', mobile: '+1' })}`, t2)).text).toContain('"contact_id":4000000000000000001,');
    expect(sim.log[0]!.seq).toBe(1);
  });

  test('seedContacts: false starts empty', async () => {
    await startWith({ seedContacts: false });
    expect((await api(sim, 'GET', `${C}?totalCount=true`, tok)).text).toBe('{"code":"200","meta":{"total":0},"contacts":[],"status":"SUCCESS"}');
  });
});
