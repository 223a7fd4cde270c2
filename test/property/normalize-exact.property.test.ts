/**
 * The normalizer runs on native JSON.parse/JSON.stringify with marked numbers (src/contacts/exact-json.ts).
 * These properties hold it to the straightforward lossless-json version it replaced, kept below as
 * the reference: for any answer, the same verdict and the same text, byte for byte.
 */
import fc from 'fast-check';
import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';
import { normalizeAnswer } from '../../src/contacts/normalize';

type Json = null | boolean | string | LosslessNumber | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

/** The normalizer as first written: lossless-json parse, copy-on-write walk, lossless-json stringify. */
function referenceNormalize(text: string): { ok: true; json: string } | { ok: false } {
  let parsed: Json;
  try {
    parsed = parse(text) as Json;
  } catch {
    return { ok: false };
  }
  if (!isObj(parsed)) return { ok: false };
  const out = { ...parsed };
  if ('contacts' in out) out.contacts = refContacts(out.contacts);
  if (Array.isArray(out.contact_status)) out.contact_status = out.contact_status.map((s) => (isObj(s) && 'id' in s ? { ...s, id: refId(s.id) } : s));
  return { ok: true, json: stringify(out) as string };
}
function refContacts(contacts: Json): Json {
  if (Array.isArray(contacts)) return contacts.map((c) => (isObj(c) ? refContact(c) : c));
  if (isObj(contacts)) return refContact(contacts);
  return refId(contacts);
}
function refContact(contact: Obj): Obj {
  const out = { ...contact };
  if ('contact_id' in out) out.contact_id = refId(out.contact_id);
  if ('contact_owner' in out && out.contact_owner !== null) {
    const owner = out.contact_owner;
    out.contact_owner = isObj(owner)
      ? { id: refId(owner.id ?? null), display_value: typeof owner.display_value === 'string' ? owner.display_value : null }
      : { id: refId(owner), display_value: null };
  }
  return out;
}
function refId(value: Json): Json {
  return isLosslessNumber(value) ? (value as LosslessNumber).value : value;
}
function isObj(value: Json): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isLosslessNumber(value);
}

// ---- JSON text with every kind of number token and string a Zoho answer could hold ----

const ws = fc.constantFrom('', '', '', ' ', '\n', '\n\n   ', '\t', '\r\n');

const numberToken = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.constantFrom('0', '-0', '-0.0', '1.50', '1.0', '1e2', '1E+2', '-1e-7', '0.1', '2.5e-300', '1e400', '-1'),
  fc.constantFrom('9007199254740991', '9007199254740992', '9007199254740993', '999999999999999', '1000000000000000', '-9007199254740993'),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String),
  fc.tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.nat({ max: 999 })).map(([i, f]) => `${i}.${f}`),
);

/** Strings a naive scanner could mistake for numbers, or that could fake the markers. */
const stringValue = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom(':12345678901234567890', ', 1.5', '[-0', '"', '\\', '\u0000#123', '\u0000', 'a:1e5', '4000000000000000001', '', '株式会社', 'Müller', '\ud800'),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String),
);

const KEYS = ['code', 'status', 'message', 'contacts', 'contact_id', 'contact_owner', 'contact_status', 'id', 'display_value', 'meta', 'total', 'number', 'first_name', 'メール', 'x:1', '12345678901234567'];

/** Renders a tree of tokens to JSON text: numbers as their raw text, strings through JSON.stringify. */
type Node = { n: string } | { s: string } | { lit: 'true' | 'false' | 'null' } | { arr: Node[] } | { obj: Array<[string, Node]> };

const node: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberToken.map((n) => ({ n })),
    stringValue.map((s) => ({ s })),
    fc.constantFrom<'true' | 'false' | 'null'>('true', 'false', 'null').map((lit) => ({ lit })),
    fc.array(tie('node'), { maxLength: 4 }).map((arr) => ({ arr })),
    fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), tie('node')), { maxLength: 5, selector: ([k]) => k }).map((obj) => ({ obj })),
  ),
})).node;

function render(n: Node, pad: string): string {
  if ('n' in n) return n.n;
  if ('s' in n) return JSON.stringify(n.s);
  if ('lit' in n) return n.lit;
  if ('arr' in n) return `[${pad}${n.arr.map((x) => render(x, pad)).join(`${pad},${pad}`)}${pad}]`;
  return `{${pad}${n.obj.map(([k, v]) => `${JSON.stringify(k)}${pad}:${pad}${render(v, pad)}`).join(`${pad},${pad}`)}${pad}}`;
}

/** An answer-shaped object: an envelope whose contacts/contact_status hold the interesting parts. */
const answerText = fc
  .record({
    pad: ws,
    contacts: fc.oneof(
      node,
      fc.array(fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), node), { maxLength: 6, selector: ([k]) => k }).map((obj) => ({ obj }) as Node), { maxLength: 4 }).map((arr) => ({ arr }) as Node),
    ),
    statuses: fc.option(fc.array(node, { maxLength: 3 }).map((arr) => ({ arr }) as Node)),
    extra: fc.option(node),
  })
  .map(({ pad, contacts, statuses, extra }) => {
    const entries: Array<[string, Node]> = [['code', { s: '200' }], ['contacts', contacts]];
    if (statuses) entries.push(['contact_status', statuses]);
    if (extra) entries.push(['meta', extra]);
    entries.push(['status', { s: 'SUCCESS' }]);
    return render({ obj: entries }, pad);
  });

describe('the exact normalizer gives what the lossless-json reference gives', () => {
  test('when the answer holds any mix of big, fractional, exponent and negative-zero numbers and tricky strings, then the same text byte for byte', () => {
    fc.assert(
      fc.property(answerText, (text) => {
        const expected = referenceNormalize(text);
        expect(expected.ok).toBe(true);
        expect(normalizeAnswer(text)).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  test('when any JSON value is given (arrays, strings, numbers at the top, nesting), then the same verdict and text', () => {
    fc.assert(
      fc.property(node, ws, (n, pad) => {
        const text = render(n, pad);
        expect(normalizeAnswer(text)).toEqual(referenceNormalize(text));
      }),
      { numRuns: 2000 },
    );
  });

  test('when an answer is damaged (a character dropped, changed or added), then the same verdict and text', () => {
    const damaged = fc
      .tuple(answerText, fc.nat(), fc.constantFrom('drop', 'change', 'add'), fc.constantFrom('"', '\\', ':', ',', '-', '0', '9', '.', 'e', '{', '}', '[', ']', ' ', 'x'))
      .map(([text, at, how, ch]) => {
        const i = at % (text.length + 1);
        if (how === 'drop') return text.slice(0, i) + text.slice(i + 1);
        if (how === 'change') return text.slice(0, i) + ch + text.slice(i + 1);
        return text.slice(0, i) + ch + text.slice(i);
      });
    fc.assert(
      fc.property(damaged, (text) => {
        let duplicateKey = false;
        try {
          parse(text);
        } catch (err) {
          // lossless-json refuses a repeated key, JSON.parse keeps the last: a difference we accept.
          duplicateKey = /Duplicate key/.test((err as Error).message);
        }
        fc.pre(!duplicateKey);
        expect(normalizeAnswer(text)).toEqual(referenceNormalize(text));
      }),
      { numRuns: 3000 },
    );
  });

  test('when a 50-contact page comes with 19-digit ids as strings and an owner object, then ids stay exact and owners are {id, display_value}', () => {
    const contacts = Array.from({ length: 50 }, (_, i) => `{"contact_id":"${4000000000000000001n + BigInt(i)}","contact_owner":{"display_value":"Vignesh","id":"347000000003015"},"first_name":"F${i}"}`);
    const text = `{"code":"200","meta":{"total":-1},"contacts":[${contacts.join(',')}],"status":"SUCCESS"}`;
    const result = normalizeAnswer(text);
    expect(result).toEqual(referenceNormalize(text));
    expect(result.ok && result.json).toContain('{"contact_id":"4000000000000000050","contact_owner":{"id":"347000000003015","display_value":"Vignesh"},"first_name":"F49"}');
  });
});
