/**
 * The normalizer as it was first written (lossless-json parse, a copy-on-write walk, lossless-json
 * stringify): slow, and obviously right. The property tests hold the gateway's normalizer to it
 * byte for byte, and the normalizer micro-benchmark measures it as the "before".
 */
import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';

type Json = null | boolean | string | LosslessNumber | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

/** The normalizer as first written: lossless-json parse, copy-on-write walk, lossless-json stringify. */
export function referenceNormalize(text: string): { ok: true; json: string } | { ok: false } {
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
