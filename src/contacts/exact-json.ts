import { isLosslessNumber, parse as losslessParse, stringify as losslessStringify, type LosslessNumber } from 'lossless-json';

/**
 * JSON text to values and back, with every number keeping its exact text: a plain JSON.parse
 * silently changes any integer above 2^53 (and `1.50` comes back as `1.5`).
 *
 * The normalizer runs this on every answer, so the work is done by the engine's native JSON.parse
 * and JSON.stringify (several times faster than a parser written in JS), made exact like this:
 * - a number token a double carries exactly and prints back identically (an integer of at most
 *   15 digits, not -0) stays a JS number: a list page has no other kind, so it takes this path;
 * - any other number token (16+ digits, a fraction, an exponent, -0) is first rewritten in the
 *   text as a marked string, `"\u0000#<the token>"`, and written back as the bare token;
 * - a text holding an escaped U+0000 anywhere (a marker could be faked), or one the marking pass
 *   cannot handle, goes through lossless-json, which keeps numbers as LosslessNumber.
 * The three hold numbers differently, so readers ask the parse result (`numberText`, `isText`).
 * test/property/normalize-exact.property.test.ts holds all of it to the plain lossless-json version.
 */
export type ExactJson = null | boolean | string | number | LosslessNumber | ExactJson[] | { [key: string]: ExactJson };

/** How one parse holds its numbers. */
interface Representation {
  /** Compact JSON text of a value of this parse (or built from its parts), numbers as they came. */
  stringify(value: ExactJson): string;
  /** The exact text of a number value; undefined for anything else. */
  numberText(value: ExactJson): string | undefined;
  /** A JSON string (not a number held as a string). */
  isText(value: ExactJson): value is string;
}

export interface ParsedJson extends Representation {
  value: ExactJson;
}

/** After ':', ',' or '[': a number token a double might not carry exactly. Matches inside strings only cost a slower path. */
const INEXACT_NUMBER = /[:,[][ \t\n\r]*(?:-?\d{16}|-?\d+[.eE]|-0(?![0-9]))/;
/** What the marking pass looks at: something number-like after ':', ',' or '['. */
const NUMBER_AFTER_SEPARATOR = /([:,[][ \t\n\r]*)(-?\d[\d.eE+-]*)/g;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const EXACT_AS_DOUBLE = /^(?:0|-?[1-9]\d{0,14})$/;
const MARK = '\u0000#';
const MARKED_IN_OUTPUT = /"\\u0000#([-+.\deE]+)"/g;

/** Parses JSON text; undefined when it is not JSON. */
export function parseExact(text: string): ParsedJson | undefined {
  try {
    if (text.includes('\\u0000')) return parseLossless(text);
    if (!INEXACT_NUMBER.test(text)) return { value: JSON.parse(text) as ExactJson, ...NATIVE };
  } catch {
    return undefined;
  }
  try {
    return { value: JSON.parse(markInexactNumbers(text)) as ExactJson, ...MARKED };
  } catch {
    // A marker put inside a string breaks the text (see markInexactNumbers): lossless-json decides.
    return parseLossless(text);
  }
}

function parseLossless(text: string): ParsedJson | undefined {
  try {
    return { value: losslessParse(text) as ExactJson, ...LOSSLESS };
  } catch {
    return undefined;
  }
}

/** Every number is a double that prints back as its token. */
const NATIVE: Representation = {
  stringify: (value) => JSON.stringify(value),
  numberText: (value) => (typeof value === 'number' ? String(value) : undefined),
  isText: (value): value is string => typeof value === 'string',
};

/** Exact numbers are doubles, the others marked strings (no string of the text holds U+0000). */
const MARKED: Representation = {
  stringify: (value) => JSON.stringify(value).replace(MARKED_IN_OUTPUT, '$1'),
  numberText: (value) => {
    if (typeof value === 'number') return String(value);
    return typeof value === 'string' && value.startsWith(MARK) ? value.slice(MARK.length) : undefined;
  },
  isText: (value): value is string => typeof value === 'string' && !value.startsWith(MARK),
};

/** Every number is a LosslessNumber. */
const LOSSLESS: Representation = {
  stringify: (value) => losslessStringify(value) as string,
  numberText: (value) => (isLosslessNumber(value) ? (value as LosslessNumber).value : undefined),
  isText: (value): value is string => typeof value === 'string',
};

export function isJsonObject(value: ExactJson): value is { [key: string]: ExactJson } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isLosslessNumber(value);
}

/**
 * Turns every inexact number token into a marked string. The pattern does not know strings, so it
 * may also hit number-like text inside one (`"a:1.5"`); a marker put there always breaks the text,
 * since its opening quote ends the string and the backslash after it is illegal outside one, so
 * JSON.parse refuses it and such a text goes to lossless-json: never a silently changed string.
 */
function markInexactNumbers(text: string): string {
  return text.replace(NUMBER_AFTER_SEPARATOR, (whole, before: string, token: string) => {
    // Exact and malformed tokens stay as they are (JSON.parse refuses the malformed).
    if (EXACT_AS_DOUBLE.test(token) || !JSON_NUMBER.test(token)) return whole;
    return `${before}"\\u0000#${token}"`;
  });
}
