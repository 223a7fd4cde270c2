/**
 * Logs: JSON lines, the level from config, pretty only when asked, the request id on the lines
 * written while handling a request, and secrets redacted by construction.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config/config';
import { startHarness, simulatorEnv, type Harness } from '../helpers/harness';
import { capturedLogger } from '../helpers/log-capture';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const BASE = '/rest/json/zv/contacts';
type Line = Record<string, unknown>;
const parsed = (lines: string[]): Line[] => lines.map((l) => JSON.parse(l) as Line);

describe('lines written while handling a request', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { UPSTREAM_TIMEOUT_MS: '300', RETRY_MAX_ATTEMPTS: '1' } });
  });
  afterAll(async () => h.close());

  test('when a call fails upstream, then its log line carries the same request id as the answer', async () => {
    h.sim.faults.contacts('stall', 1, { method: 'GET', ms: 2000 });
    const res = await fetch(`${h.url}${BASE}/contact_status`, { headers: { 'X-Request-Id': 'trace-abc-123' } });
    expect(res.status).toBe(504);
    const body = (await res.json()) as { request_id: string };
    expect(res.headers.get('x-request-id')).toBe('trace-abc-123');
    expect(body.request_id).toBe('trace-abc-123');

    const failed = parsed(h.logLines).filter((l) => l.msg === 'call failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ level: 'warn', request_id: 'trace-abc-123', code: 'UPSTREAM_TIMEOUT', service: 'zoho-voice-gateway' });
  });

  test('when the gateway generates the id, then the log line and the answer still agree', async () => {
    h.sim.faults.contacts('stall', 1, { method: 'GET', ms: 2000 });
    const before = h.logLines.length;
    const res = await fetch(`${h.url}${BASE}/contact_status`);
    const id = res.headers.get('x-request-id');
    await res.arrayBuffer();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const lines = parsed(h.logLines.slice(before)).filter((l) => l.msg === 'call failed');
    expect(lines.map((l) => l.request_id)).toEqual([id]);
  });

  test('a request that logs nothing adds no line (the per-request logger is made only when used)', async () => {
    const before = h.logLines.length;
    const res = await fetch(`${h.url}${BASE}/contact_status`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const appLines = parsed(h.logLines.slice(before)).filter((l) => l.audit !== true);
    expect(appLines).toEqual([]);
  });
});

describe('the logger', () => {
  test('lines are JSON with the level as a word, an ISO time and the service name', () => {
    const { log, lines } = capturedLogger('info');
    log.info({ component: 'test' }, 'hello');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', service: 'zoho-voice-gateway', component: 'test', msg: 'hello', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  });

  test('LOG_LEVEL decides what is written', () => {
    const config = loadConfig(simulatorEnv('http://127.0.0.1:1', { LOG_LEVEL: 'warn' }));
    expect(config.log).toEqual({ level: 'warn', pretty: false });
    const { log, lines } = capturedLogger(config.log.level);
    log.info('not written');
    log.debug('not written either');
    log.warn('written');
    expect(parsed(lines).map((l) => l.msg)).toEqual(['written']);
  });

  test('secrets are redacted by field name at any of the first levels, whatever the caller logs', () => {
    const { log, lines } = capturedLogger('info');
    log.info(
      {
        token: 'tok-111',
        access_token: 'tok-222',
        headers: { authorization: 'Zoho-oauthtoken tok-333' },
        upstream: { refresh_token: 'tok-444', client_secret: 'tok-555', headers: { cookie: 'tok-666' } },
        deeper: { request: { password: 'tok-777' } },
        url: 'https://accounts.zoho.com/oauth/v2/token?refresh_token=tok-888',
      },
      'careless line',
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/tok-\d{3}/);
    const line = JSON.parse(lines[0]!) as Line;
    expect(line).toMatchObject({ token: '[REDACTED]', access_token: '[REDACTED]', headers: '[REDACTED]', url: '[REDACTED]' });
    expect(line.upstream).toEqual({ refresh_token: '[REDACTED]', client_secret: '[REDACTED]', headers: '[REDACTED]' });
  });

  test('LOG_PRETTY=true prints human-readable lines instead of JSON', async () => {
    const script = [
      "const { createLogger } = require('./src/logger');",
      "const log = createLogger({ level: 'info', pretty: true });",
      "log.info({ component: 'demo' }, 'pretty line');",
      'setTimeout(() => log.flush(), 50);',
    ].join('\n');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    const line = stdout.split('\n').find((l) => l.includes('pretty line'))!;
    expect(line).toBeDefined();
    expect(() => JSON.parse(line)).toThrow();
    expect(line).toMatch(/INFO/);
  });
});
