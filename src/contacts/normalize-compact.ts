import { isUtf8 } from 'node:buffer';

/**
 * The normalizer's fast path, for answers in the form Zoho sends them: compact JSON (no whitespace
 * between tokens), valid UTF-8, no backslash escapes. It works on the bytes as they came: checks
 * the JSON grammar, rewrites only the fields the normalization changes (see ./normalize) and
 * copies everything else through, without decoding, parsing or re-encoding. A 50-contact page
 * needs only its 50 owner objects rewritten, so most of it is copied in a few large pieces.
 *
 * For such input the result is byte for byte what the parse path gives (compact output, strings
 * as JSON.stringify writes them, which is as they came when they hold no escape, numbers as
 * they came). Anything else returns undefined and takes the parse path: whitespace, an escape,
 * invalid UTF-8, an owner id that is an object, and invalid JSON (which the parse path refuses).
 * test/property/normalize-exact.property.test.ts holds both paths to the lossless-json reference.
 */
export function normalizeCompact(body: Buffer): Buffer | undefined {
  // Both checks run natively over the whole answer, and rule out what the scan does not handle.
  if (body.indexOf(BACKSLASH) !== -1 || !isUtf8(body)) return undefined;
  const scan = new CompactScan(body);
  let end: number;
  try {
    end = scan.answer(0);
  } catch {
    // Nesting deeper than the stack: the parse path decides.
    return undefined;
  }
  if (end === FALLBACK || !onlyTrailingWhitespace(body, end)) return undefined;
  return scan.output(end);
}

const FALLBACK = -1;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;

const key = (text: string) => Buffer.from(`"${text}"`, 'latin1');
const CONTACTS = key('contacts');
const CONTACT_STATUS = key('contact_status');
const CONTACT_ID = key('contact_id');
const CONTACT_OWNER = key('contact_owner');
const ID = key('id');
const DISPLAY_VALUE = key('display_value');
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');
const OWNER_OPEN = Buffer.from('{"id":');
const OWNER_MIDDLE = Buffer.from(',"display_value":');
const OWNER_CLOSE = Buffer.from('}');
const OWNER_NO_DISPLAY = Buffer.from(',"display_value":null}');
const QUOTE_BYTES = Buffer.from('"');

function onlyTrailingWhitespace(b: Buffer, from: number): boolean {
  for (let i = from; i < b.length; i++) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return true;
}

/** Where a value sits in the answer: [start, end). */
interface Span {
  start: number;
  end: number;
}

/**
 * One pass over one answer. Every method takes the index of a token's first byte and returns the
 * index just after it, or FALLBACK. Rewritten spans are recorded as (copy up to here, then these
 * bytes); the output is those pieces joined, or the input itself when nothing was rewritten.
 */
class CompactScan {
  private readonly pieces: Buffer[] = [];
  /** Input bytes from here on are still to be copied. */
  private copiedUpTo = 0;

  // The callbacks for members and items, made once per answer rather than once per object.
  private readonly anyMember = (_keyStart: number, _keyEnd: number, at: number): number => this.value(at);
  private readonly anyItem = (at: number): number => this.value(at);
  private readonly contactItem = (at: number): number => (this.b[at] === OPEN_OBJECT ? this.contact(at) : this.value(at));
  private readonly statusItem = (at: number): number => this.status(at);
  private readonly contactMember = (keyStart: number, keyEnd: number, at: number): number => {
    if (this.keyIs(keyStart, keyEnd, CONTACT_ID)) return this.id(at);
    if (this.keyIs(keyStart, keyEnd, CONTACT_OWNER)) return this.owner(at);
    return this.value(at);
  };
  private readonly statusMember = (keyStart: number, keyEnd: number, at: number): number => (this.keyIs(keyStart, keyEnd, ID) ? this.id(at) : this.value(at));

  constructor(private readonly b: Buffer) {}

  output(end: number): Buffer {
    if (this.pieces.length === 0) return end === this.b.length ? this.b : this.b.subarray(0, end);
    this.pieces.push(this.b.subarray(this.copiedUpTo, end));
    return Buffer.concat(this.pieces);
  }

  /** Replaces input[start, end) by `parts` in the output. */
  private replace(start: number, end: number, parts: Buffer[]): void {
    if (start > this.copiedUpTo) this.pieces.push(this.b.subarray(this.copiedUpTo, start));
    for (let k = 0; k < parts.length; k++) this.pieces.push(parts[k]!);
    this.copiedUpTo = end;
  }

  /** The whole answer: an object, with `contacts` and `contact_status` looked into. */
  answer(i: number): number {
    if (this.b[i] !== OPEN_OBJECT) return FALLBACK;
    return this.object(i, (keyStart, keyEnd, at) => {
      if (this.keyIs(keyStart, keyEnd, CONTACTS)) return this.contacts(at);
      if (this.keyIs(keyStart, keyEnd, CONTACT_STATUS)) return this.b[at] === OPEN_ARRAY ? this.array(at, this.statusItem) : this.value(at);
      return this.value(at);
    });
  }

  /** An array (list), an object (create/get/update) or the deleted id (delete). */
  private contacts(i: number): number {
    const c = this.b[i];
    if (c === OPEN_ARRAY) return this.array(i, this.contactItem);
    if (c === OPEN_OBJECT) return this.contact(i);
    return this.id(i);
  }

  private contact(i: number): number {
    return this.object(i, this.contactMember);
  }

  /** {"id": <id>, "display_value": <string or null>}, whatever Zoho sent (a bare id, or the object in another order). */
  private owner(i: number): number {
    const c = this.b[i];
    if (c === 0x6e /* n */) return this.literal(i, NULL);
    if (c !== OPEN_OBJECT) {
      const end = this.value(i);
      if (end === FALLBACK) return FALLBACK;
      this.replace(i, end, [OWNER_OPEN, ...this.idBytes({ start: i, end }), OWNER_NO_DISPLAY]);
      return end;
    }
    let id: Span | undefined;
    let displayValue: Span | undefined;
    const end = this.object(i, (keyStart, keyEnd, at) => {
      const valueEnd = this.value(at);
      if (this.keyIs(keyStart, keyEnd, ID)) id = { start: at, end: valueEnd };
      else if (this.keyIs(keyStart, keyEnd, DISPLAY_VALUE)) displayValue = { start: at, end: valueEnd };
      return valueEnd;
    });
    if (end === FALLBACK) return FALLBACK;
    // An id that is itself an object or array would have to be copied whole: rare, left to the parse path.
    if (id && (this.b[id.start] === OPEN_OBJECT || this.b[id.start] === OPEN_ARRAY)) return FALLBACK;
    const idParts = id ? this.idBytes(id) : [NULL];
    const displayParts = displayValue && this.b[displayValue.start] === QUOTE ? this.b.subarray(displayValue.start, displayValue.end) : NULL;
    this.replace(i, end, [OWNER_OPEN, ...idParts, OWNER_MIDDLE, displayParts, OWNER_CLOSE]);
    return end;
  }

  /** contact_status[] entries: their `id` becomes a string. */
  private status(i: number): number {
    if (this.b[i] !== OPEN_OBJECT) return this.value(i);
    return this.object(i, this.statusMember);
  }

  /** An id value: a bare number becomes a string of its exact digits; anything else stays. */
  private id(i: number): number {
    if (!isNumberStart(this.b[i])) return this.value(i);
    const end = this.number(i);
    if (end !== FALLBACK) this.replace(i, end, [QUOTE_BYTES, this.b.subarray(i, end), QUOTE_BYTES]);
    return end;
  }

  private idBytes(span: Span): Buffer[] {
    const bytes = this.b.subarray(span.start, span.end);
    return isNumberStart(this.b[span.start]) ? [QUOTE_BYTES, bytes, QUOTE_BYTES] : [bytes];
  }

  /** Any JSON value, copied as it is. */
  private value(i: number): number {
    const c = this.b[i];
    if (c === QUOTE) return this.string(i);
    if (c === OPEN_OBJECT) return this.object(i, this.anyMember);
    if (c === OPEN_ARRAY) return this.array(i, this.anyItem);
    if (isNumberStart(c)) return this.number(i);
    if (c === 0x74 /* t */) return this.literal(i, TRUE);
    if (c === 0x66 /* f */) return this.literal(i, FALSE);
    if (c === 0x6e /* n */) return this.literal(i, NULL);
    return FALLBACK;
  }

  /** `member(keyStart, keyEnd, valueStart)` reads each member's value and returns its end. */
  private object(i: number, member: (keyStart: number, keyEnd: number, at: number) => number): number {
    const b = this.b;
    let at = i + 1;
    if (b[at] === CLOSE_OBJECT) return at + 1;
    for (;;) {
      if (b[at] !== QUOTE) return FALLBACK;
      const keyEnd = this.string(at);
      if (keyEnd === FALLBACK || b[keyEnd] !== COLON) return FALLBACK;
      const end = member(at, keyEnd, keyEnd + 1);
      if (end === FALLBACK) return FALLBACK;
      const next = b[end];
      if (next === CLOSE_OBJECT) return end + 1;
      if (next !== COMMA) return FALLBACK;
      at = end + 1;
    }
  }

  private array(i: number, item: (at: number) => number): number {
    const b = this.b;
    let at = i + 1;
    if (b[at] === CLOSE_ARRAY) return at + 1;
    for (;;) {
      const end = item(at);
      if (end === FALLBACK) return FALLBACK;
      const next = b[end];
      if (next === CLOSE_ARRAY) return end + 1;
      if (next !== COMMA) return FALLBACK;
      at = end + 1;
    }
  }

  /** A string holding no escape (none is in the answer): any byte but a control character. */
  private string(i: number): number {
    const b = this.b;
    const n = b.length;
    for (let at = i + 1; at < n; at++) {
      const c = b[at]!;
      if (c === QUOTE) return at + 1;
      if (c < 0x20) return FALLBACK;
    }
    return FALLBACK;
  }

  /** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  private number(i: number): number {
    const b = this.b;
    let at = i;
    if (b[at] === MINUS) at++;
    if (b[at] === 0x30) at++;
    else if (isDigit19(b[at])) while (isDigit(b[++at]));
    else return FALLBACK;
    if (b[at] === 0x2e /* . */) {
      if (!isDigit(b[++at])) return FALLBACK;
      while (isDigit(b[++at]));
    }
    if (b[at] === 0x65 || b[at] === 0x45 /* e E */) {
      at++;
      if (b[at] === 0x2b || b[at] === MINUS) at++;
      if (!isDigit(b[at])) return FALLBACK;
      while (isDigit(b[++at]));
    }
    return at;
  }

  private literal(i: number, word: Buffer): number {
    for (let k = 0; k < word.length; k++) if (this.b[i + k] !== word[k]) return FALLBACK;
    return i + word.length;
  }

  /** Is input[start, end) exactly `quoted` (a key with its quotes)? */
  private keyIs(start: number, end: number, quoted: Buffer): boolean {
    if (end - start !== quoted.length) return false;
    const b = this.b;
    for (let k = 1; k < quoted.length - 1; k++) if (b[start + k] !== quoted[k]) return false;
    return true;
  }
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function isDigit19(c: number | undefined): boolean {
  return c !== undefined && c >= 0x31 && c <= 0x39;
}

function isNumberStart(c: number | undefined): boolean {
  return c === MINUS || isDigit(c);
}
