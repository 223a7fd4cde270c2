/**
 * The normalizer runs on native JSON.parse/JSON.stringify with marked numbers (src/contacts/exact-json.ts),
 * and answers in Zoho's compact form are rewritten on their bytes (src/contacts/normalize-compact.ts).
 * These properties hold both to the straightforward lossless-json version they replaced, kept below
 * as the reference: for any answer, the same verdict and the same bytes.
 */
import fc from 'fast-check';
import { parse } from 'lossless-json';
import { referenceNormalize } from '../../bench/lossless-reference';
import { normalizeAnswer, normalizeBody } from '../../src/contacts/normalize';
import { normalizeCompact } from '../../src/contacts/normalize-compact';

/** Both entry points, text and wire bytes, against the reference. */
function expectLikeReference(text: string): void {
  const expected = referenceNormalize(text);
  expect(normalizeAnswer(text)).toEqual(expected);
  // On the wire a lone surrogate cannot be sent: UTF-8 carries U+FFFD in its place.
  const wire = Buffer.from(text, 'utf8');
  const expectedFromWire = referenceNormalize(wire.toString('utf8'));
  const body = normalizeBody(wire);
  if (!expectedFromWire.ok) expect(body).toEqual({ ok: false });
  else expect(body.ok && body.json.toString('utf8')).toBe(expectedFromWire.json);
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

/** Strings JSON.stringify writes without an escape: what Zoho's compact answers hold. */
const plainString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }).filter((t) => JSON.stringify(t) === `"${t}"`),
  fc.constantFrom(':12345678901234567890', ', 1.5', '[-0', 'a:1e5', '4000000000000000001', '', '株式会社', 'Müller', 'Vignesh', '+15135493562'),
);
const compactNode: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberToken.map((n) => ({ n })),
    plainString.map((s) => ({ s })),
    fc.constantFrom<'true' | 'false' | 'null'>('true', 'false', 'null').map((lit) => ({ lit })),
    fc.array(tie('node'), { maxLength: 4 }).map((arr) => ({ arr })),
    fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), tie('node')), { maxLength: 5, selector: ([k]) => k }).map((obj) => ({ obj })),
  ),
})).node;
/** A contact as lists and single answers have it, each field of any shape now and then. */
const compactContact = fc
  .record({
    id: fc.oneof(numberToken.map((n) => ({ n }) as Node), plainString.map((s) => ({ s }) as Node), compactNode),
    owner: fc.oneof(
      numberToken.map((n) => ({ n }) as Node),
      fc.record({ dv: fc.option(fc.oneof(plainString.map((s) => ({ s }) as Node), compactNode)), id: fc.option(fc.oneof(numberToken.map((n) => ({ n }) as Node), plainString.map((s) => ({ s }) as Node))), idFirst: fc.boolean() }).map(({ dv, id, idFirst }) => {
        const members: Array<[string, Node]> = [];
        if (dv) members.push(['display_value', dv]);
        if (id) members[idFirst ? 'unshift' : 'push'](['id', id]);
        return { obj: members } as Node;
      }),
      compactNode,
    ),
    extra: fc.uniqueArray(fc.tuple(fc.constantFrom('first_name', 'mobile', 'number', 'created_time', 'メール'), compactNode), { maxLength: 3, selector: ([k]) => k }),
  })
  .map(({ id, owner, extra }) => ({ obj: [...extra, ['contact_id', id], ['contact_owner', owner]] }) as Node);
const compactAnswerText = fc
  .record({
    contacts: fc.oneof(compactContact, fc.array(compactContact, { maxLength: 4 }).map((arr) => ({ arr }) as Node), numberToken.map((n) => ({ n }) as Node), compactNode),
    statuses: fc.option(fc.array(fc.oneof(fc.record({ dv: plainString, id: fc.oneof(numberToken, plainString.map((t) => JSON.stringify(t))) }).map(({ dv, id }) => ({ obj: [['display_value', { s: dv }], ['id', /^"/.test(id) ? { s: JSON.parse(id) as string } : { n: id }]] }) as Node), compactNode), { maxLength: 3 }).map((arr) => ({ arr }) as Node)),
    meta: fc.option(compactNode),
    trailing: fc.constantFrom('', '', '\n'),
  })
  .map(({ contacts, statuses, meta, trailing }) => {
    const entries: Array<[string, Node]> = [['code', { s: '200' }]];
    if (meta) entries.push(['meta', meta]);
    entries.push(['contacts', contacts]);
    if (statuses) entries.push(['contact_status', statuses]);
    entries.push(['status', { s: 'SUCCESS' }]);
    return render({ obj: entries }, '') + trailing;
  });

describe('the exact normalizer gives what the lossless-json reference gives', () => {
  test('when the answer holds any mix of big, fractional, exponent and negative-zero numbers and tricky strings, then the same text byte for byte', () => {
    fc.assert(
      fc.property(answerText, (text) => {
        expect(referenceNormalize(text).ok).toBe(true);
        expectLikeReference(text);
      }),
      { numRuns: 3000 },
    );
  });

  test('when any JSON value is given (arrays, strings, numbers at the top, nesting), then the same verdict and text', () => {
    fc.assert(
      fc.property(node, ws, (n, pad) => {
        expectLikeReference(render(n, pad));
      }),
      { numRuns: 2000 },
    );
  });

  test('when an answer is damaged (a character dropped, changed or added), then the same verdict and text', () => {
    const damaged = damage(answerText, ['"', '\\', ':', ',', '-', '0', '9', '.', 'e', '{', '}', '[', ']', ' ', 'x']);
    fc.assert(
      fc.property(damaged, (text) => {
        fc.pre(!hasDuplicateKey(text));
        expectLikeReference(text);
      }),
      { numRuns: 3000 },
    );
  });

  test('when answers come in Zoho\'s compact form without escapes, then the byte path takes most of them and gives the same bytes', () => {
    let taken = 0;
    let runs = 0;
    fc.assert(
      fc.property(compactAnswerText, (text) => {
        runs++;
        const expected = referenceNormalize(text);
        expect(expected.ok).toBe(true);
        const wire = Buffer.from(text, 'utf8');
        const fast = normalizeCompact(wire);
        if (fast !== undefined) {
          taken++;
          const fromWire = referenceNormalize(wire.toString('utf8'));
          expect(fast.toString('utf8')).toBe(fromWire.ok && fromWire.json);
        }
        expectLikeReference(text);
      }),
      { numRuns: 3000 },
    );
    // Only an owner id that is an object or array leaves this path.
    expect(taken / runs).toBeGreaterThan(0.8);
  });

  test('when the byte path meets a damaged compact answer, then the same verdict and bytes as the reference', () => {
    const damaged = damage(compactAnswerText, ['"', ':', ',', '-', '0', '9', '.', 'e', '{', '}', '[', ']', ' ', 'x', 't', 'n', '\u0001', 'é']);
    fc.assert(
      fc.property(damaged, (text) => {
        fc.pre(!hasDuplicateKey(text));
        expectLikeReference(text);
      }),
      { numRuns: 3000 },
    );
  });

  test('when the wire bytes are not valid UTF-8, then both paths read them as the reference does (U+FFFD)', () => {
    const body = Buffer.concat([Buffer.from('{"code":"200","contacts":[{"contact_id":"1","first_name":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}]}')]);
    const expected = referenceNormalize(body.toString('utf8'));
    const result = normalizeBody(body);
    expect(result.ok && result.json.toString('utf8')).toBe(expected.ok && expected.json);
  });

  test('when a 50-contact page comes with 19-digit ids as strings and an owner object, then ids stay exact and owners are {id, display_value}', () => {
    const contacts = Array.from({ length: 50 }, (_, i) => `{"contact_id":"${4000000000000000001n + BigInt(i)}","contact_owner":{"display_value":"Vignesh","id":"347000000003015"},"first_name":"F${i}"}`);
    const text = `{"code":"200","meta":{"total":-1},"contacts":[${contacts.join(',')}],"status":"SUCCESS"}`;
    const result = normalizeAnswer(text);
    expect(result).toEqual(referenceNormalize(text));
    expect(result.ok && result.json).toContain('{"contact_id":"4000000000000000050","contact_owner":{"id":"347000000003015","display_value":"Vignesh"},"first_name":"F49"}');
  });
});

/** An answer with one character dropped, changed or added somewhere. */
function damage(answers: fc.Arbitrary<string>, characters: string[]): fc.Arbitrary<string> {
  return fc.tuple(answers, fc.nat(), fc.constantFrom('drop', 'change', 'add'), fc.constantFrom(...characters)).map(([text, at, how, ch]) => {
    const i = at % (text.length + 1);
    if (how === 'drop') return text.slice(0, i) + text.slice(i + 1);
    if (how === 'change') return text.slice(0, i) + ch + text.slice(i + 1);
    return text.slice(0, i) + ch + text.slice(i);
  });
}

/** lossless-json refuses a repeated key, JSON.parse keeps the last: the one difference accepted. */
function hasDuplicateKey(text: string): boolean {
  try {
    parse(text);
    return false;
  } catch (err) {
    return /Duplicate key/.test((err as Error).message);
  }
}
