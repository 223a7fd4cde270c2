import request from 'supertest';
import { CallersFileError } from '../../src/callers/callers-file';
import { loadConfig } from '../../src/config/config';
import { startGateway } from '../../src/gateway';
import { callerKeySha256Hex, newCallerKey } from '../../src/callers/caller-key';
import { startZohoSimulator, type ZohoSimulator } from '../../src/simulator/zoho-simulator';
import { bearer, callersFixture, type CallersFixture } from '../helpers/callers';
import { startHarness, simulatorEnv, type Harness } from '../helpers/harness';
import { capturedLogger } from '../helpers/log-capture';

const STATUSES = '/rest/json/zv/contacts/contact_status';

let sim: ZohoSimulator;
beforeAll(async () => {
  sim = await startZohoSimulator();
});
afterAll(async () => sim.close());

/** Starts a gateway on a callers file and returns the error it refused to start with. */
async function startFailure(file: string): Promise<CallersFileError> {
  const { log } = capturedLogger();
  const config = loadConfig(simulatorEnv(sim.url, { GATEWAY_CALLERS_FILE: file }));
  try {
    const gateway = await startGateway(config, log);
    await gateway.close();
  } catch (err) {
    if (err instanceof CallersFileError) return err;
    throw err;
  }
  throw new Error('the gateway started on a bad callers file');
}

describe('the callers file is validated at start, every problem reported at once', () => {
  let fixture: CallersFixture;
  beforeEach(() => {
    fixture = callersFixture([{ name: 'ok', scopes: ['zohovoice.contacts.READ'] }]);
  });
  afterEach(() => fixture.remove());

  test('when entries are wrong in several ways, then the start fails naming each problem and where it is', async () => {
    const pastedKey = newCallerKey();
    const hash = callerKeySha256Hex(newCallerKey());
    fixture.writeText(
      JSON.stringify([
        { name: 'billing', keySha256: pastedKey, scopes: ['zohovoice.contacts.READ'] },
        { name: 'crm', keySha256: hash, scopes: ['zohovoice.contacts.WRITE'] },
        { name: 'billing', keySha256: hash, scopes: [] },
        { name: 'bad name!', keySha256: callerKeySha256Hex(newCallerKey()), scopes: ['zohovoice.contacts.ALL'], key: pastedKey },
        { keySha256: callerKeySha256Hex(newCallerKey()), scopes: 'zohovoice.contacts.READ' },
      ]),
    );
    const err = await startFailure(fixture.file);
    expect(err.problems).toEqual([
      'callers[0].keySha256: must be the SHA-256 of the key: 64 hex characters (npm run caller:new prints it)',
      'callers[1].scopes[0]: must be one of zohovoice.contacts.READ, zohovoice.contacts.CREATE, zohovoice.contacts.UPDATE, zohovoice.contacts.DELETE, zohovoice.contacts.ALL',
      'callers[2].scopes: must grant at least one scope',
      'callers[3].name: must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
      expect.stringMatching(/^callers\[3\]: Unrecognized key: "key"/),
      'callers[4].name: must be a string',
      'callers[4].scopes: must be an array of scopes',
    ]);
    expect(err.message).toContain(`GATEWAY_CALLERS_FILE ${fixture.file} is not valid:`);
    // A key pasted where its hash belongs is never echoed.
    expect(err.message).not.toContain(pastedKey);
  });

  test('when two callers share a name or a key, then both repeats are reported', async () => {
    const hash = callerKeySha256Hex(newCallerKey());
    fixture.writeText(
      JSON.stringify([
        { name: 'a', keySha256: hash, scopes: ['zohovoice.contacts.READ'] },
        { name: 'a', keySha256: hash.toUpperCase(), scopes: ['zohovoice.contacts.READ'] },
      ]),
    );
    expect((await startFailure(fixture.file)).problems).toEqual([
      'callers[1].name: repeats the name of caller 0',
      'callers[1].keySha256: is the same key as caller 0: every caller needs its own key',
    ]);
  });

  test('when the file is not JSON, then the start fails with the line and column, without quoting the text', async () => {
    const key = newCallerKey();
    fixture.writeText(`[\n  {"name": "a",\n   "keySha256": ${key}}\n]`);
    const err = await startFailure(fixture.file);
    expect(err.problems).toEqual(["not valid JSON: Object value expected after ':' (line 3, column 17)"]);
    expect(err.message).not.toContain(key);
  });

  test.each([
    ['[]', 'callers: the file lists no callers (an empty file would lock every caller out; stop the gateway instead)'],
    ['{"callers": []}', 'callers: the file must hold a JSON array of callers'],
    ['[{"name": "a",', 'not valid JSON: Quoted object key expected (line 1, column 15)'],
    ['  \n', 'the file is empty'],
  ])('when the file holds %j, then the start fails: %s', async (text, problem) => {
    fixture.writeText(text);
    expect((await startFailure(fixture.file)).problems).toEqual([problem]);
  });

  test('when the file does not exist, then the start fails saying it cannot be read', async () => {
    expect((await startFailure(`${fixture.dir}/missing.json`)).problems).toEqual(['cannot read the file (ENOENT)']);
  });
});

describe('reload (what SIGHUP does) swaps the callers without dropping traffic', () => {
  let fixture: CallersFixture;
  let h: Harness;
  beforeEach(async () => {
    fixture = callersFixture([
      { name: 'stays', scopes: ['zohovoice.contacts.READ'] },
      { name: 'leaves', scopes: ['zohovoice.contacts.READ'] },
    ]);
    h = await startHarness({ simulator: sim, env: { GATEWAY_CALLERS_FILE: fixture.file, RATE_LIMIT_RPS: '0' } });
  });
  afterEach(async () => {
    await h.close();
    fixture.remove();
  });
  const get = (key: string) => request(h.url).get(STATUSES).set('Authorization', bearer(key));

  test('when a caller is added, removed and re-scoped, then the next request sees the new file', async () => {
    const leaving = fixture.keys.leaves!;
    await get(leaving).expect(200);
    fixture.write([
      { name: 'stays', scopes: ['zohovoice.contacts.DELETE'] },
      { name: 'joins', scopes: ['zohovoice.contacts.READ'] },
    ]);
    expect(await h.gateway.reload()).toEqual({ ok: true, callers: 2 });
    await get(fixture.keys.joins!).expect(200);
    expect((await get(leaving)).status).toBe(401);
    expect((await get(fixture.keys.stays!)).body.code).toBe('FORBIDDEN');
    const reloaded = h.logLines.map((l) => JSON.parse(l)).find((l) => l.msg === 'callers reloaded');
    expect(reloaded.callers).toEqual(['stays', 'joins']);
  });

  test('when the new file is bad, then the old callers stay in force and the log says why', async () => {
    fixture.writeText('[{"name": "stays", "keySha256": "not-a-hash", "scopes": ["zohovoice.contacts.READ"]}]');
    const outcome = await h.gateway.reload();
    expect(outcome).toEqual({
      ok: false,
      problems: ['callers[0].keySha256: must be the SHA-256 of the key: 64 hex characters (npm run caller:new prints it)'],
    });
    await get(fixture.keys.stays!).expect(200);
    await get(fixture.keys.leaves!).expect(200);
    const line = h.logLines.map((l) => JSON.parse(l)).find((l) => l.msg?.startsWith('callers file NOT reloaded'));
    expect(line).toMatchObject({
      level: 'error',
      callers_file: fixture.file,
      problems: outcome!.ok ? [] : outcome!.problems,
      callers_in_use: ['stays', 'leaves'],
    });

    fixture.writeText('');
    expect(await h.gateway.reload()).toEqual({ ok: false, problems: ['the file is empty'] });
    fixture.remove();
    expect(await h.gateway.reload()).toEqual({ ok: false, problems: ['cannot read the file (ENOENT)'] });
    await get(fixture.keys.stays!).expect(200);
  });

  test('when the file is reloaded 25 times under steady traffic, then not one request fails', async () => {
    const key = fixture.keys.stays!;
    let stop = false;
    const statuses: number[] = [];
    const traffic = (async () => {
      while (!stop) statuses.push((await get(key)).status);
    })();
    const traffic2 = (async () => {
      while (!stop) statuses.push((await get(key)).status);
    })();
    for (let i = 0; i < 25; i++) {
      fixture.write([
        { name: 'stays', scopes: ['zohovoice.contacts.READ'] },
        ...(i % 2 === 0 ? [{ name: `extra-${i}`, scopes: ['zohovoice.contacts.ALL' as const] }] : []),
      ]);
      expect((await h.gateway.reload())?.ok).toBe(true);
      await new Promise((r) => setTimeout(r, 5));
    }
    stop = true;
    await Promise.all([traffic, traffic2]);
    expect(statuses.length).toBeGreaterThan(25);
    expect(new Set(statuses)).toEqual(new Set([200]));
  });
});
