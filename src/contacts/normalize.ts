import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';

/**
 * Zoho answers the same fields in different shapes depending on the call (see the README's
 * normalization table). Callers get one shape:
 * - contact_id, everywhere: a string of the exact digits;
 * - contact_owner: always {"id": "<digits>", "display_value": <string or null>};
 * - the delete answer's `contacts` and contact_status[].id: strings;
 * - every other field exactly as Zoho sent it (numbers keep their exact text).
 *
 * Works on the JSON text with a lossless parser, because a plain JSON.parse silently changes any
 * id above 2^53. Pure: no I/O, no Express.
 */
export type NormalizeResult = { ok: true; json: string } | { ok: false };

type Json = null | boolean | string | LosslessNumber | Json[] | { [key: string]: Json };

export function normalizeAnswer(text: string): NormalizeResult {
  let parsed: Json;
  try {
    parsed = parse(text) as Json;
  } catch {
    return { ok: false };
  }
  if (!isObject(parsed)) return { ok: false };
  return { ok: true, json: stringify(normalizeEnvelope(parsed)) as string };
}

function normalizeEnvelope(answer: { [key: string]: Json }): { [key: string]: Json } {
  const out = { ...answer };
  if ('contacts' in out) out.contacts = normalizeContacts(out.contacts);
  if (Array.isArray(out.contact_status)) out.contact_status = out.contact_status.map(normalizeStatus);
  return out;
}

/** `contacts` is an object (create/get/update), an array (list) or the deleted id (delete). */
function normalizeContacts(contacts: Json): Json {
  if (Array.isArray(contacts)) return contacts.map((c) => (isObject(c) ? normalizeContact(c) : c));
  if (isObject(contacts)) return normalizeContact(contacts);
  return idText(contacts);
}

function normalizeContact(contact: { [key: string]: Json }): { [key: string]: Json } {
  const out = { ...contact };
  if ('contact_id' in out) out.contact_id = idText(out.contact_id);
  if ('contact_owner' in out && out.contact_owner !== null) out.contact_owner = normalizeOwner(out.contact_owner);
  return out;
}

/** A bare number (create/get/update) or {display_value, id} (list) becomes {id, display_value}. */
function normalizeOwner(owner: Json): Json {
  if (isObject(owner)) {
    const displayValue = owner.display_value;
    return { id: idText(owner.id ?? null), display_value: typeof displayValue === 'string' ? displayValue : null };
  }
  return { id: idText(owner), display_value: null };
}

function normalizeStatus(status: Json): Json {
  return isObject(status) && 'id' in status ? { ...status, id: idText(status.id) } : status;
}

/** The id's digits exactly as Zoho wrote them; strings pass as they are. */
function idText(value: Json): Json {
  if (isLosslessNumber(value)) return (value as LosslessNumber).value;
  return value;
}

function isObject(value: Json): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isLosslessNumber(value);
}
