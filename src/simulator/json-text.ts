/**
 * Hand-written JSON text.
 *
 * Zoho answers carry 64-bit ids as bare JSON numbers in some places and as strings in others.
 * A JS number cannot hold every 64-bit id (anything above 2^53 is silently rounded), so the
 * simulator never lets an id pass through `number`: ids live as bigint/strings and are written
 * into the answer as text. Key order is also controlled here, so answers match the seed exactly.
 */

/** A JSON integer literal from a bigint or a digit string; refuses anything else. */
export function jsonInt(value: bigint | string): string {
  const text = typeof value === 'bigint' ? value.toString() : value;
  if (!/^-?(0|[1-9][0-9]*)$/.test(text)) {
    throw new RangeError(`not a JSON integer literal: ${text}`);
  }
  return text;
}

/** A JSON number for small, non-id values (timestamps, counts); refuses unsafe integers. */
export function jsonSafeNumber(value: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
  return String(value);
}

/** A JSON string literal. JSON.stringify escapes quotes, control chars and lone surrogates. */
export function jsonStr(value: string): string {
  return JSON.stringify(value);
}

/** A JSON object from [key, already-encoded value] pairs, in the given order. */
export function jsonObj(entries: ReadonlyArray<readonly [string, string]>): string {
  return `{${entries.map(([k, v]) => `${jsonStr(k)}:${v}`).join(',')}}`;
}

/** A JSON array from already-encoded items. */
export function jsonArr(items: readonly string[]): string {
  return `[${items.join(',')}]`;
}
