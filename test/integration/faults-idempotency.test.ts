/**
 * Idempotent creates over HTTP: one Idempotency-Key, one contact, whatever the caller repeats and
 * whatever fails in between. Each test counts the simulator's creates against what callers were
 * told was created.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { startZohoSimulator, type ZohoSimulator } from '../../src/simulator/zoho-simulator';
import { bearer, callersFixture, type CallersFixture } from '../helpers/callers';
import { CreateLedger, taggedContact, until } from '../helpers/create-ledger';
import { startHarness, type Harness } from '../helpers/harness';

const BASE = '/rest/json/zv/contacts';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const newKey = () => randomUUID();

describe('one gateway, memory store', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { BREAKER_FAILURE_THRESHOLD: '1000' } });
  });
  afterAll(async () => h.close());
  let logStart = 0;
  beforeEach(() => {
    h.sim.faults.clear();
    logStart = h.sim.log.length;
  });
  const posts = () => h.sim.log.slice(logStart).filter((e) => e.kind === 'contacts' && e.method === 'POST');

  test('when two POSTs carry one Idempotency-Key, then one contact is created and both callers get identical bodies', async () => {
    const ledger = new CreateLedger(h.sim);
    const key = newKey();
    const first = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('twice')).expect(200);
    const second = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('twice')).expect(200);
    ledger.note(first.status, first.body);
    ledger.note(second.status, second.body);

    expect(second.text).toBe(first.text);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(posts()).toHaveLength(1);
    expect(ledger.created()).toHaveLength(1);
    expect(ledger.acknowledged()).toEqual(ledger.created());
  });

  test('when the repeat sends the same contact in Zoho\'s form with its keys in another order, then it is the same request: replayed', async () => {
    const key = newKey();
    const first = await request(h.url).post(BASE).set('Idempotency-Key', key).send({ first_name: 'Ada', mobile: '+12015550111', company: 'Acme' }).expect(200);
    const again = await request(h.url)
      .post(BASE)
      .set('Idempotency-Key', key)
      .type('form')
      .send({ contact: JSON.stringify({ company: 'Acme', mobile: '+12015550111', first_name: 'Ada' }) })
      .expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.text).toBe(first.text);
    expect(posts()).toHaveLength(1);
  });

  test('when the same key comes with another contact, then 422 IDEMPOTENCY_KEY_REUSED and nothing goes upstream', async () => {
    const key = newKey();
    await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('first-body')).expect(200);
    const reused = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('other-body')).expect(422);
    expect(reused.body).toMatchObject({ status: 'ERROR', code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(posts()).toHaveLength(1);
  });

  test('when a duplicate arrives while the first is in flight, then it gets 409 IDEMPOTENCY_IN_FLIGHT, and after the first finishes a repeat replays it: one contact', async () => {
    const ledger = new CreateLedger(h.sim);
    const key = newKey();
    h.sim.faults.contacts('stall', 1, { method: 'POST', ms: 700 });
    const first = request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('in-flight')).then((r) => r);
    await until(() => posts().length === 1, 3000, 'the first POST upstream');
    const duplicate = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('in-flight')).expect(409);
    expect(duplicate.body.code).toBe('IDEMPOTENCY_IN_FLIGHT');
    expect(duplicate.headers['retry-after']).toBe('1');

    const done = await first;
    expect(done.status).toBe(200);
    const replay = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('in-flight')).expect(200);
    expect(replay.text).toBe(done.text);
    ledger.note(done.status, done.body);
    expect(posts()).toHaveLength(1);
    expect(ledger.created()).toEqual(ledger.acknowledged());
    expect(ledger.created()).toHaveLength(1);
  });

  test('when 20 callers race with one key, then Zoho sees one POST, one caller gets 200 and the rest 409', async () => {
    const ledger = new CreateLedger(h.sim);
    const key = newKey();
    h.sim.faults.contacts('stall', 1, { method: 'POST', ms: 300 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('race'))));
    for (const a of answers) ledger.note(a.status, a.body);
    expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array<number>(19).fill(409)]);
    expect(posts()).toHaveLength(1);
    expect(ledger.created()).toHaveLength(1);
  });

  test('when the connection resets after the create was sent, then the 502 UPSTREAM_OUTCOME_UNKNOWN is kept: a repeat replays it and never creates a second contact', async () => {
    const ledger = new CreateLedger(h.sim);
    const key = newKey();
    h.sim.faults.contacts('reset_before_response', 1, { method: 'POST' });
    const first = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('unknown')).expect(502);
    expect(first.body.code).toBe('UPSTREAM_OUTCOME_UNKNOWN');
    const repeat = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('unknown')).expect(502);
    expect(repeat.text).toBe(first.text);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(posts()).toHaveLength(1);
    // Zoho did create it once; nobody was told it was created, and nobody created it again.
    expect(ledger.created()).toHaveLength(1);
    expect(ledger.acknowledged()).toEqual([]);
  });

  test('when the call provably did not run (Zoho rejected the token twice), then the key is freed and the repeat creates exactly one contact', async () => {
    const ledger = new CreateLedger(h.sim);
    const key = newKey();
    h.sim.faults.contacts('invalid_oauthtoken', 2, { method: 'POST' });
    const refused = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('freed')).expect(502);
    expect(refused.body.code).toBe('UPSTREAM_TOKEN_REJECTED');
    const created = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('freed')).expect(200);
    ledger.note(created.status, created.body);
    expect(created.headers['idempotent-replayed']).toBeUndefined();
    expect(ledger.created()).toHaveLength(1);
    expect(ledger.acknowledged()).toEqual(ledger.created());
  });

  test('when Zoho answers 429, then the key is freed (Zoho ran nothing) and the repeat creates the contact', async () => {
    const key = newKey();
    h.sim.faults.contacts('http_429', 1, { method: 'POST' });
    await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('after-429')).expect(429);
    const created = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('after-429')).expect(200);
    expect(created.headers['idempotent-replayed']).toBeUndefined();
  });

  test.each([
    ['too short', 'abc'],
    ['too long', 'k'.repeat(256)],
    ['a space', 'has a space-12'],
    ['a comma (two headers joined)', 'key-00000001, key-00000002'],
    ['a non-ASCII letter', 'clé-00000001'],
  ])('when the key has %s, then 400 INVALID_HEADER and nothing goes upstream', async (_what, key) => {
    const res = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('bad-key')).expect(400);
    expect(res.body).toMatchObject({ code: 'INVALID_HEADER', details: { fields: [{ field: 'Idempotency-Key' }] } });
    expect(posts()).toHaveLength(0);
  });

  test('when the key is quoted (the IETF structured-field form), then it is the same key as unquoted', async () => {
    const key = newKey();
    const first = await request(h.url).post(BASE).set('Idempotency-Key', `"${key}"`).send(taggedContact('quoted')).expect(200);
    const again = await request(h.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('quoted')).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.text).toBe(first.text);
  });

  test('when a PUT carries an Idempotency-Key, then it is ignored (a PUT is idempotent already)', async () => {
    const key = newKey();
    for (let i = 0; i < 2; i++) {
      const res = await request(h.url).put(`${BASE}/347000014281004`).set('Idempotency-Key', key).send({ first_name: 'Put', mobile: '+12015550100' }).expect(200);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
    }
  });
});

describe('keys belong to callers', () => {
  let h: Harness;
  let callers: CallersFixture;
  beforeAll(async () => {
    callers = callersFixture([
      { name: 'billing', scopes: ['zohovoice.contacts.CREATE'] },
      { name: 'support', scopes: ['zohovoice.contacts.CREATE'] },
    ]);
    h = await startHarness({ env: { GATEWAY_CALLERS_FILE: callers.file } });
  });
  afterAll(async () => {
    await h.close();
    callers.remove();
  });

  test('when two callers use the same key, then each gets its own contact, and each repeat replays its own', async () => {
    const ledger = new CreateLedger(h.sim);
    const key = newKey();
    const post = (caller: string, tag: string) =>
      request(h.url).post(BASE).set('Authorization', bearer(callers.keys[caller]!)).set('Idempotency-Key', key).send(taggedContact(tag)).expect(200);
    const billing = await post('billing', 'billing');
    const support = await post('support', 'support');
    expect(billing.body.contacts.contact_id).not.toBe(support.body.contacts.contact_id);
    expect((await post('billing', 'billing')).text).toBe(billing.text);
    expect((await post('support', 'support')).text).toBe(support.text);
    for (const r of [billing, support]) ledger.note(r.status, r.body);
    expect(ledger.created().sort()).toEqual(ledger.acknowledged().sort());
    expect(ledger.created()).toHaveLength(2);
  });
});

describe('two gateways sharing Redis', () => {
  let sim: ZohoSimulator;
  let a: Harness;
  let b: Harness;
  beforeAll(async () => {
    sim = await startZohoSimulator();
    const env = { REDIS_URL, REDIS_KEY_PREFIX: `idem:${randomUUID().slice(0, 8)}:`, TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex'), RATE_LIMIT_RPS: '0' };
    a = await startHarness({ simulator: sim, env });
    b = await startHarness({ simulator: sim, env });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await sim.close();
  });

  test('when the repeat lands on the other replica, then it replays the first answer: one contact', async () => {
    const ledger = new CreateLedger(sim);
    const key = newKey();
    const first = await request(a.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('fleet')).expect(200);
    const second = await request(b.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('fleet')).expect(200);
    expect(second.text).toBe(first.text);
    expect(second.headers['idempotent-replayed']).toBe('true');
    ledger.note(first.status, first.body);
    expect(ledger.created()).toEqual(ledger.acknowledged());
    expect(ledger.created()).toHaveLength(1);
  });

  test('when both replicas get the key at once, then one creates and the other answers 409', async () => {
    const ledger = new CreateLedger(sim);
    const key = newKey();
    sim.faults.contacts('stall', 1, { method: 'POST', ms: 300 });
    const answers = await Promise.all([a, b, a, b].map((g) => request(g.url).post(BASE).set('Idempotency-Key', key).send(taggedContact('fleet-race'))));
    for (const r of answers) ledger.note(r.status, r.body);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409, 409, 409]);
    expect(ledger.created()).toHaveLength(1);
    expect(ledger.acknowledged()).toEqual(ledger.created());
  });
});
