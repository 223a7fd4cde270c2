import { validateQuery } from '../../src/contacts/query';
import { validateContact } from '../../src/contacts/validate';
import { GatewayError } from '../../src/errors/gateway-error';
import { matchRoute, upstreamPathOf } from '../../src/proxy/route-match';

function errorOf(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError');
}

describe('matchRoute', () => {
  test.each([
    ['GET', '/rest/json/zv/contacts', 'contacts.list', '/rest/json/zv/contacts'],
    ['POST', '/rest/json/zv/contacts', 'contacts.create', '/rest/json/zv/contacts'],
    ['GET', '/rest/json/zv/contacts/contact_status', 'contacts.statuses', '/rest/json/zv/contacts/contact_status'],
    ['GET', '/rest/json/zv/contacts/9223372036854775807', 'contacts.get', '/rest/json/zv/contacts/9223372036854775807'],
    ['PUT', '/rest/json/zv/contacts/1', 'contacts.update', '/rest/json/zv/contacts/1'],
    ['DELETE', '/rest/json/zv/contacts/1234567890123456789?', 'contacts.delete', '/rest/json/zv/contacts/1234567890123456789'],
  ])('%s %s is %s, sent upstream as %s', (method, url, name, upstream) => {
    const match = matchRoute(method, url);
    expect(match.route.name).toBe(name);
    expect(upstreamPathOf(match)).toBe(upstream);
  });

  test.each([
    ['/rest/json/zv/contacts/12345678901234567890', 'INVALID_CONTACT_ID'],
    ['/rest/json/zv/contacts/12a', 'INVALID_CONTACT_ID'],
    ['/rest/json/zv/contacts/-1', 'INVALID_PATH'],
    ['/rest/json/zv/contacts/%2e%2e', 'INVALID_PATH'],
    ['/rest/json/zv/contacts/..%2Fcontact_status', 'INVALID_PATH'],
    ['/rest/json/zv/contacts/%252e%252e', 'INVALID_PATH'],
    ['/rest/json/zv/contacts/../contacts', 'INVALID_PATH'],
    ['/rest/json/zv/contacts/1/', 'ROUTE_NOT_FOUND'],
    ['/rest/json/zv/contacts//1', 'INVALID_PATH'],
    ['/rest/json/zv/contacts/1/extra', 'ROUTE_NOT_FOUND'],
    ['/rest/json/zv/calls', 'ROUTE_NOT_FOUND'],
    ['/', 'ROUTE_NOT_FOUND'],
    ['/admin', 'ROUTE_NOT_FOUND'],
  ])('GET %s is refused with %s', (url, code) => {
    expect(errorOf(() => matchRoute('GET', url)).code).toBe(code);
  });

  test.each([
    ['DELETE', '/rest/json/zv/contacts', 'GET, POST'],
    ['PATCH', '/rest/json/zv/contacts/1', 'GET, PUT, DELETE'],
    ['POST', '/rest/json/zv/contacts/contact_status', 'GET'],
    ['HEAD', '/rest/json/zv/contacts', 'GET, POST'],
  ])('%s %s is 405 with Allow: %s', (method, url, allow) => {
    const error = errorOf(() => matchRoute(method, url));
    expect(error.code).toBe('METHOD_NOT_ALLOWED');
    expect(error.status).toBe(405);
    expect(error.headers).toEqual({ Allow: allow });
  });
});

describe('validateQuery', () => {
  test('the list query is rebuilt canonically from validated values', () => {
    expect(validateQuery('list', 'size=50&from=0&totalCount=true')).toEqual({ upstream: '?totalCount=true&from=0&size=50' });
    expect(validateQuery('list', '')).toEqual({ upstream: '' });
  });

  test.each([
    ['size=10&size=5000', 'size', 'is repeated'],
    ['size=0', 'size', 'must be an integer from 1 to 50'],
    ['size=51', 'size', 'must be an integer from 1 to 50'],
    ['size=1.5', 'size', 'must be an integer from 1 to 50'],
    ['from=-1', 'from', 'must be an integer >= 0'],
    ['totalCount=yes', 'totalCount', 'must be true or false'],
    ['sort=name', 'sort', 'is not a parameter of this call'],
  ])('list query %s: 400 naming %s', (query, field, problem) => {
    const error = errorOf(() => validateQuery('list', query));
    expect(error.code).toBe('INVALID_QUERY');
    expect(error.details).toEqual({ fields: [{ field, problem }] });
  });

  test('a call without parameters refuses any', () => {
    expect(errorOf(() => validateQuery('none', 'x=1')).details).toEqual({ fields: [{ field: 'x', problem: 'is not a parameter of this call' }] });
  });

  test("create and update take Zoho's `contact` parameter from the query", () => {
    expect(validateQuery('contact', 'contact=%7B%22a%22%3A1%7D')).toEqual({ upstream: '', contactText: '{"a":1}' });
  });

  test('a malformed percent escape is a 400, not a crash', () => {
    expect(errorOf(() => validateQuery('list', 'size=%zz')).code).toBe('INVALID_QUERY');
  });
});

describe('validateContact', () => {
  test('keeps only documented keys, in a fixed order', () => {
    const contact = validateContact({ kind: 'object', value: { mobile: '+1', first_name: 'Ada', contact_status: { id: '1000000000031', display_value: 'VIP' } }, field: 'body' });
    expect(JSON.stringify(contact)).toBe('{"first_name":"Ada","mobile":"+1","contact_status":{"id":"1000000000031","display_value":"VIP"}}');
  });

  test('names every bad field at once', () => {
    const error = errorOf(() =>
      validateContact({ kind: 'object', value: { first_name: '', mobile: 5, email: null, nickname: 'x', contact_status: { id: 7 } }, field: 'body' }),
    );
    expect(error.code).toBe('INVALID_BODY');
    const fields = (error.details as { fields: { field: string; problem: string }[] }).fields;
    expect(fields.map((f) => f.field).sort()).toEqual(['contact_status.id', 'email', 'first_name', 'mobile', 'nickname']);
    expect(fields.find((f) => f.field === 'mobile')!.problem).toBe('must be a string');
    expect(fields.find((f) => f.field === 'first_name')!.problem).toBe('is required and must not be empty');
    expect(fields.find((f) => f.field === 'nickname')!.problem).toBe('is not a documented contact field');
  });

  test('Zoho form: the contact as JSON text; text that is not JSON is a clear 400', () => {
    expect(validateContact({ kind: 'json-text', text: '{"first_name":"A","mobile":"+1"}', field: 'contact' })).toEqual({ first_name: 'A', mobile: '+1' });
    const error = errorOf(() => validateContact({ kind: 'json-text', text: '{first_name:', field: 'contact' }));
    expect(error.details).toEqual({ fields: [{ field: 'contact', problem: 'must be a JSON object encoded as a string' }] });
  });

  test('letters of any script pass; control and bidi-override characters do not', () => {
    expect(validateContact({ kind: 'object', value: { first_name: '山田', last_name: 'Ünal', mobile: '+81' }, field: 'body' }).first_name).toBe('山田');
    for (const bad of ['a\r\nX-Injected: 1', 'a\u0000', 'a\u202egnp', '\ud800']) {
      const error = errorOf(() => validateContact({ kind: 'object', value: { first_name: bad, mobile: '+1' }, field: 'body' }));
      expect(error.details).toEqual({ fields: [{ field: 'first_name', problem: 'must not contain control or bidi-override characters' }] });
    }
  });

  test('10,000 unknown keys give a bounded list of problems', () => {
    const value: Record<string, string> = { first_name: 'A', mobile: '+1' };
    for (let i = 0; i < 10_000; i++) value[`k${i}`] = 'x';
    const details = errorOf(() => validateContact({ kind: 'object', value, field: 'body' })).details as { fields: unknown[]; more: number };
    expect(details.fields).toHaveLength(25);
    expect(details.more).toBe(9975);
  });
});
