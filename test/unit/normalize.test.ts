import { normalizeAnswer } from '../../src/contacts/normalize';
import {
  SEED_CREATE_ANSWER,
  SEED_DELETE_ANSWER,
  SEED_GET_ANSWER,
  SEED_LIST_ANSWER,
  SEED_STATUSES_ANSWER,
  SEED_UPDATE_ANSWER,
} from '../fixtures/seed-answers';

/** Normalizes and reads the result back with JSON.parse: safe here, every id is a string by then. */
function normalized(text: string): any {
  const result = normalizeAnswer(text);
  if (!result.ok) throw new Error('normalizer refused the answer');
  return JSON.parse(result.json);
}

describe('normalizeAnswer on the seed examples, verbatim', () => {
  test.each([
    ['create', SEED_CREATE_ANSWER],
    ['get', SEED_GET_ANSWER],
    ['update', SEED_UPDATE_ANSWER],
  ])('%s: the bare-number contact_id and contact_owner become strings and an owner object', (_name, seed) => {
    const answer = normalized(seed);
    expect(answer.contacts.contact_id).toBe('315000153768793');
    expect(answer.contacts.contact_owner).toEqual({ id: '415005010526109', display_value: null });
    // Every other field exactly as Zoho sent it.
    expect(answer.contacts.created_time).toBe(1728037831825);
    expect(answer.contacts.number).toEqual(['+12015550126']);
    expect(answer.contacts.mobile).toBe('+12015550123');
    expect(answer.contacts['メール']).toBe('');
    expect(answer.code).toBe('200');
    expect(answer.status).toBe('SUCCESS');
  });

  test('list: string ids stay strings, the owner object is reordered to {id, display_value}, meta untouched', () => {
    const answer = normalized(SEED_LIST_ANSWER);
    expect(answer.meta).toEqual({ total: -1 });
    expect(answer.contacts.map((c: any) => c.contact_id)).toEqual(['347000014281004', '347000014281005']);
    for (const contact of answer.contacts) expect(contact.contact_owner).toEqual({ id: '347000000003015', display_value: 'Vignesh' });
    expect(answer.contacts[0].first_name).toBe('Andrej');
    expect(answer.contacts[1].last_name).toBe('91Venere');
    expect('number' in answer.contacts[0]).toBe(false);
  });

  test('delete: the contacts string passes as a string', () => {
    expect(normalized(SEED_DELETE_ANSWER)).toEqual({ code: '200', contacts: '<contact_id>', status: 'SUCCESS' });
  });

  test('statuses: ids are strings and display values untouched', () => {
    const answer = normalized(SEED_STATUSES_ANSWER);
    expect(answer.contact_status).toEqual([
      { display_value: '有効', id: '1000000000027' },
      { display_value: '無効', id: '1000000000029' },
      { display_value: 'VIP', id: '1000000000031' },
    ]);
  });

  test('the seed answers keep every key and their order apart from the normalized fields', () => {
    const before = Object.keys(JSON.parse(SEED_CREATE_ANSWER).contacts);
    const after = Object.keys(normalized(SEED_CREATE_ANSWER).contacts);
    expect(after).toEqual(before);
  });
});

describe('normalizeAnswer keeps 64-bit ids exact', () => {
  test.each(['9007199254740993', '1234567890123456789', '9223372036854775807', '18446744073709551615'])(
    'a bare-number contact_id %s keeps every digit',
    (digits) => {
      const result = normalizeAnswer(`{"code":"200","contacts":{"contact_id":${digits},"contact_owner":${digits}},"status":"SUCCESS"}`);
      expect(result).toEqual({
        ok: true,
        json: `{"code":"200","contacts":{"contact_id":"${digits}","contact_owner":{"id":"${digits}","display_value":null}},"status":"SUCCESS"}`,
      });
    },
  );

  test('a delete answer whose contacts is a bare number becomes the exact digits as a string', () => {
    expect(normalizeAnswer('{"code":"200","contacts":9223372036854775807,"status":"SUCCESS"}')).toEqual({
      ok: true,
      json: '{"code":"200","contacts":"9223372036854775807","status":"SUCCESS"}',
    });
  });

  test('numbers that are not ids keep their exact text, big or fractional', () => {
    const result = normalizeAnswer('{"code":"200","meta":{"total":12345678901234567891},"x":1.50,"contacts":[]}');
    expect(result).toEqual({ ok: true, json: '{"code":"200","meta":{"total":12345678901234567891},"x":1.50,"contacts":[]}' });
  });

  test('a status id given as a bare number becomes a string', () => {
    const result = normalizeAnswer('{"code":"200","contact_status":[{"display_value":"VIP","id":1000000000031}],"status":"SUCCESS"}');
    expect(result).toEqual({ ok: true, json: '{"code":"200","contact_status":[{"display_value":"VIP","id":"1000000000031"}],"status":"SUCCESS"}' });
  });
});

describe('normalizeAnswer on error answers and garbage', () => {
  test("Zoho's error envelope passes unchanged", () => {
    const text = '{"code":"INVALID_OAUTHTOKEN","message":"Invalid OAuth token","status":"ERROR"}';
    expect(normalizeAnswer(text)).toEqual({ ok: true, json: text });
  });

  test.each(['', '<html>login</html>', '[1,2]', '"text"', '{"code":'])('%j is not an API answer', (text) => {
    expect(normalizeAnswer(text)).toEqual({ ok: false });
  });

  test('an owner object whose display_value is missing gets null, and a missing owner stays missing', () => {
    const answer = normalized('{"contacts":[{"contact_id":"1","contact_owner":{"id":415005010526109}},{"contact_id":2}]}');
    expect(answer.contacts).toEqual([
      { contact_id: '1', contact_owner: { id: '415005010526109', display_value: null } },
      { contact_id: '2' },
    ]);
  });
});
