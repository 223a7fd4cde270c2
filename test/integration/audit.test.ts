import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, constants as fsConstants, readFileSync, readSync, renameSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { AuditFileError } from '../../src/audit/audit-log';
import { loadConfig } from '../../src/config/config';
import { startGateway } from '../../src/gateway';
import { startZohoSimulator, type ZohoSimulator } from '../../src/simulator/zoho-simulator';
import { bearer, callersFixture, type CallersFixture } from '../helpers/callers';
import { simulatorEnv, startHarness, type Harness } from '../helpers/harness';
import { capturedLogger } from '../helpers/log-capture';
import { rawHttp, rawRequest } from '../helpers/raw-http';

const BASE = '/rest/json/zv/contacts';
const ITEM = '/rest/json/zv/contacts/{contact_id}';
const BIG_ID = '9223372036854775807';
/** The audit line's fields, in order: exactly these, nothing else. */
const AUDIT_FIELDS = ['ts', 'request_id', 'caller', 'remote_addr', 'method', 'route', 'contact_id', 'decision', 'status', 'upstream_status', 'duration_ms', 'token_refreshed', 'retried'];
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

type AuditLine = Record<string, unknown>;

let sim: ZohoSimulator;
let callers: CallersFixture;
beforeAll(async () => {
  sim = await startZohoSimulator();
  callers = callersFixture([
    { name: 'crm', scopes: ['zohovoice.contacts.ALL'] },
    { name: 'reader', scopes: ['zohovoice.contacts.READ'] },
  ]);
});
afterAll(async () => {
  await sim.close();
  callers.remove();
});

const auditLinesOf = (lines: string[]): AuditLine[] => lines.map((l) => JSON.parse(l) as AuditLine).filter((l) => l.audit === true);

/** The line is written when the answer finishes, which may be a moment after the client has it. */
async function auditLine(lines: () => AuditLine[], requestId: string): Promise<AuditLine> {
  for (let i = 0; i < 100; i++) {
    const found = lines().filter((l) => l.request_id === requestId);
    if (found.length > 0) {
      expect(found).toHaveLength(1);
      return found[0]!;
    }
    await sleep(10);
  }
  throw new Error(`no audit line for ${requestId}`);
}

describe('audit lines on stdout (no AUDIT_LOG_FILE), tagged "audit":true', () => {
  let h: Harness;
  beforeAll(async () => {
    sim.reset();
    h = await startHarness({ simulator: sim, env: { GATEWAY_CALLERS_FILE: callers.file, RATE_LIMIT_RPS: '0' } });
  });
  afterAll(async () => h.close());
  beforeEach(() => sim.faults.clear());
  const lines = () => auditLinesOf(h.logLines);
  const crm = () => bearer(callers.keys.crm!);

  test('an allowed call: exactly the thirteen fields after the tag, with the values of the call', async () => {
    const before = Date.now();
    await request(h.url).get(`${BASE}/${BIG_ID}?`).set('Authorization', crm()).set('X-Request-Id', 'audit-first').expect(200);
    await request(h.url).get(`${BASE}/${BIG_ID}`).set('Authorization', crm()).set('X-Request-Id', 'audit-second').expect(200);
    const first = await auditLine(lines, 'audit-first');
    expect(Object.keys(first)).toEqual(['audit', ...AUDIT_FIELDS]);
    expect(first).toEqual({
      audit: true,
      ts: expect.stringMatching(ISO_UTC),
      request_id: 'audit-first',
      caller: 'crm',
      remote_addr: '127.0.0.1',
      method: 'GET',
      route: ITEM,
      contact_id: BIG_ID,
      decision: 'allowed',
      status: 200,
      upstream_status: 200,
      duration_ms: expect.any(Number),
      // The first call of a fresh gateway waited for the first token.
      token_refreshed: true,
      retried: false,
    });
    expect(Date.parse(first.ts as string)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(first.ts as string)).toBeLessThanOrEqual(Date.now());
    expect(first.duration_ms).toBeGreaterThan(0);
    expect((await auditLine(lines, 'audit-second')).token_refreshed).toBe(false);
  });

  test.each([
    ['no key', 'GET', `${BASE}/contact_status`, undefined, undefined, { caller: null, route: `${BASE}/contact_status`, contact_id: null, decision: 'denied:UNAUTHENTICATED', status: 401 }],
    ['a scope the caller lacks', 'DELETE', `${BASE}/1234567890123456789`, 'reader', undefined, { caller: 'reader', route: ITEM, contact_id: '1234567890123456789', decision: 'denied:FORBIDDEN', status: 403 }],
    ['an invalid contact', 'POST', BASE, 'crm', { first_name: 'A' }, { caller: 'crm', route: BASE, contact_id: null, decision: 'denied:INVALID_BODY', status: 400 }],
    ['a body over the limit', 'POST', BASE, 'crm', { first_name: 'A', mobile: '1', company: 'x'.repeat(70_000) }, { caller: 'crm', route: BASE, decision: 'denied:BODY_TOO_LARGE', status: 413 }],
    ['an unknown route', 'GET', '/rest/json/zv/calls', 'crm', undefined, { caller: null, route: null, contact_id: null, decision: 'denied:ROUTE_NOT_FOUND', status: 404 }],
    ['an encoded path', 'GET', `${BASE}/%2e%2e`, 'crm', undefined, { caller: null, route: null, decision: 'denied:INVALID_PATH', status: 400 }],
    ['a wrong method', 'PATCH', `${BASE}/1`, 'crm', undefined, { route: null, decision: 'denied:METHOD_NOT_ALLOWED', status: 405 }],
    ['a polluted query', 'GET', `${BASE}?size=10&size=5000`, 'crm', undefined, { caller: 'crm', route: BASE, decision: 'denied:INVALID_QUERY', status: 400 }],
  ])('refused (%s): audited as denied with the reason, nothing upstream', async (_name, method, path, caller, body, expected) => {
    const start = sim.log.length;
    let req = request(h.url)[method.toLowerCase() as 'get'](path);
    if (caller) req = req.set('Authorization', bearer(callers.keys[caller]!));
    if (body) req = req.send(body);
    const res = await req;
    expect(res.status).toBe(expected.status);
    const line = await auditLine(lines, res.headers['x-request-id']);
    expect(line).toMatchObject({ ...expected, method, upstream_status: null, token_refreshed: false, retried: false });
    expect(sim.log.slice(start)).toEqual([]);
  });

  test('a call retried after the connection to Zoho dropped: retried true, the last upstream status', async () => {
    sim.faults.contacts('reset_on_connect', 1, { method: 'GET' });
    const res = await request(h.url).get(`${BASE}/contact_status`).set('Authorization', crm()).expect(200);
    expect(await auditLine(lines, res.headers['x-request-id'])).toMatchObject({ decision: 'allowed', status: 200, upstream_status: 200, retried: true, token_refreshed: false });
  });

  test('a token Zoho rejected: refreshed and sent again, token_refreshed and retried true', async () => {
    sim.revokeAllTokens();
    const res = await request(h.url).get(`${BASE}/contact_status`).set('Authorization', crm()).expect(200);
    expect(await auditLine(lines, res.headers['x-request-id'])).toMatchObject({ decision: 'allowed', status: 200, upstream_status: 200, retried: true, token_refreshed: true });
  });

  test('a call Zoho failed: allowed, and status and upstream_status say how it ended', async () => {
    sim.faults.contacts('http_500', 1, { method: 'GET' });
    const res = await request(h.url).get(`${BASE}/contact_status`).set('Authorization', crm());
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(await auditLine(lines, res.headers['x-request-id'])).toMatchObject({ decision: 'allowed', status: res.status, upstream_status: 500 });
  });

  test('a caller that goes away before the answer: status 499', async () => {
    sim.faults.contacts('stall', 1, { method: 'GET', ms: 1000 });
    const requestId = 'audit-gone-away';
    await new Promise<void>((resolve) => {
      const req = http.get(`${h.url}${BASE}/contact_status`, { headers: { authorization: crm(), 'x-request-id': requestId } });
      req.on('error', () => resolve());
      setTimeout(() => req.destroy(), 100);
    });
    expect(await auditLine(lines, requestId)).toMatchObject({ caller: 'crm', decision: 'allowed', status: 499, upstream_status: null });
  });

  test('a request Node cannot parse (raw CR in a header) is audited too', async () => {
    const answer = await rawRequest(h.url, rawHttp('GET', `${BASE}/contact_status`, [`Authorization: ${crm()}`, 'X-Note: a\rInjected: 1']));
    expect(answer.status).toBe(400);
    const line = await auditLine(lines, answer.headers['x-request-id']!);
    expect(line).toMatchObject({ caller: null, method: null, route: null, decision: 'denied:INVALID_HEADER', status: 400, upstream_status: null });
  });

  test('health probes are not calls and are not audited', async () => {
    const res = await request(h.url).get('/healthz').expect(200);
    await request(h.url).get(`${BASE}/contact_status`).set('Authorization', crm()).expect(200);
    await sleep(30);
    expect(lines().filter((l) => l.request_id === res.headers['x-request-id'])).toEqual([]);
  });

  test('no audit line holds a key, a token, a body or a query value', async () => {
    await request(h.url).post(BASE).set('Authorization', crm()).send({ first_name: 'Private-Person', mobile: '+15550001111', email: 'p@example.test' }).expect(200);
    await request(h.url).get(`${BASE}?from=7&size=13`).set('Authorization', crm()).expect(200);
    const text = lines().map((l) => JSON.stringify(l)).join('\n');
    const forbidden = [...Object.values(callers.keys), ...sim.issuedTokens(), 'Private-Person', '+15550001111', 'p@example.test', 'size=13', 'from=7'];
    expect(sim.issuedTokens().length).toBeGreaterThanOrEqual(2);
    for (const secret of forbidden) expect(text).not.toContain(secret);
    for (const line of lines()) expect(Object.keys(line)).toEqual(['audit', ...AUDIT_FIELDS]);
  });
});

describe('audit lines in AUDIT_LOG_FILE', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'zvgw-audit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const fileLines = (file: string): AuditLine[] =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditLine);

  test('lines go to the file (its directory created), exactly the thirteen fields, none on the application log; reopened after rotation', async () => {
    const file = path.join(dir, 'nested', 'audit.log');
    const h = await startHarness({ simulator: sim, env: { GATEWAY_CALLERS_FILE: callers.file, AUDIT_LOG_FILE: file } });
    try {
      const ok = await request(h.url).get(`${BASE}/contact_status`).set('Authorization', bearer(callers.keys.reader!)).expect(200);
      const denied = await request(h.url).get(`${BASE}/contact_status`).expect(401);
      await auditLine(() => (existsSync(file) ? fileLines(file) : []).map((l) => ({ ...l, audit: true })), denied.headers['x-request-id']);
      const written = fileLines(file);
      expect(written.map((l) => [l.request_id, l.caller, l.decision])).toEqual([
        [ok.headers['x-request-id'], 'reader', 'allowed'],
        [denied.headers['x-request-id'], null, 'denied:UNAUTHENTICATED'],
      ]);
      for (const line of written) expect(Object.keys(line)).toEqual(AUDIT_FIELDS);
      expect(auditLinesOf(h.logLines)).toEqual([]);

      // logrotate: move the file away, SIGHUP (reload), and the next line starts a new file.
      renameSync(file, `${file}.1`);
      await h.gateway.reload();
      const after = await request(h.url).get(`${BASE}/contact_status`).set('Authorization', bearer(callers.keys.reader!)).expect(200);
      await auditLine(() => (existsSync(file) ? fileLines(file) : []).map((l) => ({ ...l, audit: true })), after.headers['x-request-id']);
      expect(fileLines(file).map((l) => l.request_id)).toEqual([after.headers['x-request-id']]);
      expect(fileLines(`${file}.1`)).toHaveLength(2);
    } finally {
      await h.close();
    }
  });

  test('when the audit file cannot be opened, the gateway refuses to start: an unaudited gateway must not run', async () => {
    const config = loadConfig(simulatorEnv(sim.url, { AUDIT_LOG_FILE: dir }));
    const { log } = capturedLogger();
    const started = startGateway(config, log);
    await expect(started).rejects.toBeInstanceOf(AuditFileError);
    await expect(started).rejects.toThrow(`AUDIT_LOG_FILE ${dir}: cannot open it for appending (EISDIR)`);
  });

  test('writing never blocks the request path: with nobody reading the audit pipe, calls are still answered, and every line arrives later', async () => {
    const fifo = path.join(dir, 'audit.fifo');
    execFileSync('mkfifo', [fifo]);
    // Open the read end without reading, so the gateway's writer can open it; the pipe (64 kB) soon fills.
    const reader = openSync(fifo, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    const h = await startHarness({ simulator: sim, env: { AUDIT_LOG_FILE: fifo, RATE_LIMIT_RPS: '0' } });
    const calls = 600; // about 180 kB of audit lines: well past what the pipe holds
    let received = '';
    try {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
      const statuses: number[] = [];
      const deadline = Date.now() + 20_000;
      for (let i = 0; i < calls; i += 20) {
        const batch = Array.from({ length: 20 }, () => request(h.url).get(`${BASE}/contact_status`).agent(agent).timeout(5000));
        statuses.push(...(await Promise.all(batch)).map((r) => r.status));
        expect(Date.now()).toBeLessThan(deadline);
      }
      agent.destroy();
      expect(statuses).toEqual(Array(calls).fill(200));
      // Only now read the pipe: every line was kept, none lost.
      const buffer = Buffer.alloc(64 * 1024);
      for (let idle = 0; idle < 50 && received.split('\n').length <= calls; ) {
        let n = 0;
        try {
          n = readSync(reader, buffer, 0, buffer.length, null);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        }
        if (n > 0) received += buffer.toString('utf8', 0, n);
        else {
          idle++;
          await sleep(20);
        }
      }
    } finally {
      const closing = h.close();
      // Keep draining so the flush at close can finish.
      const buffer = Buffer.alloc(64 * 1024);
      for (let i = 0; i < 200; i++) {
        try {
          const n = readSync(reader, buffer, 0, buffer.length, null);
          if (n > 0) received += buffer.toString('utf8', 0, n);
        } catch {
          /* EAGAIN: nothing right now */
        }
        if (await Promise.race([closing.then(() => true), sleep(10).then(() => false)])) break;
      }
      await closing;
      closeSync(reader);
    }
    const lines = received.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditLine);
    expect(lines).toHaveLength(calls);
    expect(new Set(lines.map((l) => l.status))).toEqual(new Set([200]));
  });
});
