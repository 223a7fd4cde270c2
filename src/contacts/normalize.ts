import { isJsonObject, parseExact, type ExactJson, type ParsedJson } from './exact-json';
import { normalizeCompact } from './normalize-compact';

/**
 * Zoho answers the same fields in different shapes depending on the call (see the README's
 * normalization table). Callers get one shape:
 * - contact_id, everywhere: a string of the exact digits;
 * - contact_owner: always {"id": "<digits>", "display_value": <string or null>};
 * - the delete answer's `contacts` and contact_status[].id: strings;
 * - every other field exactly as Zoho sent it (numbers keep their exact text).
 *
 * Works on the JSON text with an exact parser (./exact-json), because a plain JSON.parse silently
 * changes any id above 2^53. Runs on every answer, so it edits the freshly parsed tree in place
 * rather than copying it. Pure: no I/O, no Express.
 */
export type NormalizeResult = { ok: true; json: string } | { ok: false };

/** The normalized answer as UTF-8 JSON bytes, ready to send. */
export type NormalizedBody = { ok: true; json: Buffer } | { ok: false };

/**
 * Normalizes an answer as it came off the wire. An answer in Zoho's own form (compact, no
 * escapes) is rewritten on its bytes (./normalize-compact); any other goes through the parse path
 * below. Both give the same bytes for the same answer.
 */
export function normalizeBody(body: Buffer): NormalizedBody {
  const compact = normalizeCompact(body);
  if (compact !== undefined) return { ok: true, json: compact };
  const parsed = normalizeAnswer(body.toString('utf8'));
  return parsed.ok ? { ok: true, json: Buffer.from(parsed.json, 'utf8') } : parsed;
}

type JsonObject = { [key: string]: ExactJson };

export function normalizeAnswer(text: string): NormalizeResult {
  const parsed = parseExact(text);
  if (parsed === undefined || !isJsonObject(parsed.value)) return { ok: false };
  normalizeEnvelope(parsed, parsed.value);
  return { ok: true, json: parsed.stringify(parsed.value) };
}

function normalizeEnvelope(json: ParsedJson, answer: JsonObject): void {
  if ('contacts' in answer) answer.contacts = normalizeContacts(json, answer.contacts);
  const statuses = answer.contact_status;
  if (Array.isArray(statuses)) {
    for (const status of statuses) if (isJsonObject(status) && 'id' in status) status.id = idText(json, status.id);
  }
}

/** `contacts` is an object (create/get/update), an array (list) or the deleted id (delete). */
function normalizeContacts(json: ParsedJson, contacts: ExactJson): ExactJson {
  if (Array.isArray(contacts)) {
    for (const contact of contacts) if (isJsonObject(contact)) normalizeContact(json, contact);
    return contacts;
  }
  if (isJsonObject(contacts)) {
    normalizeContact(json, contacts);
    return contacts;
  }
  return idText(json, contacts);
}

function normalizeContact(json: ParsedJson, contact: JsonObject): void {
  // Assigning an existing key keeps its place, so the contact's key order stays Zoho's.
  if ('contact_id' in contact) contact.contact_id = idText(json, contact.contact_id);
  if ('contact_owner' in contact && contact.contact_owner !== null) contact.contact_owner = normalizeOwner(json, contact.contact_owner);
}

/** A bare number (create/get/update) or {display_value, id} (list) becomes {id, display_value}. */
function normalizeOwner(json: ParsedJson, owner: ExactJson): ExactJson {
  if (isJsonObject(owner)) {
    const displayValue = owner.display_value;
    return { id: idText(json, owner.id ?? null), display_value: displayValue !== undefined && json.isText(displayValue) ? displayValue : null };
  }
  return { id: idText(json, owner), display_value: null };
}

/** The id's digits exactly as Zoho wrote them; strings pass as they are. */
function idText(json: ParsedJson, value: ExactJson): ExactJson {
  return json.numberText(value) ?? value;
}
