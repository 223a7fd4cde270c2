/**
 * Validation of the `contact` parameter of create/update: a STRING holding the contact as JSON.
 * Strict on purpose: a gateway that sends numbers for strings, an unknown key (such as the seed's
 * mistranslated 'メール'), or forgets first_name/mobile must see an error here, not a success.
 */
import { CONTACT_STATUSES, STRING_KEYS, type ContactInput, type ContactStatus, type StringKey } from './contact-store';
import { SIM_ERRORS, type SimError } from './errors';

export type ParsedContact = { ok: true; input: ContactInput } | { ok: false; error: SimError };

const STRING_KEY_SET: ReadonlySet<string> = new Set(STRING_KEYS);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseStatus(v: unknown): ContactStatus | SimError {
  if (!isPlainObject(v) || typeof v.id !== 'string') {
    return SIM_ERRORS.invalidData("contact_status must be an object with a string 'id'");
  }
  if (v.display_value !== undefined && typeof v.display_value !== 'string') {
    return SIM_ERRORS.invalidData('contact_status.display_value must be a string');
  }
  const known = CONTACT_STATUSES.find((s) => s.id === v.id);
  if (!known) return SIM_ERRORS.invalidData(`Unknown contact_status id '${v.id}'`);
  // The id decides; the stored display value is always the canonical one.
  return { ...known };
}

export function parseContactParam(raw: string | undefined): ParsedContact {
  if (raw === undefined || raw.trim() === '') {
    return { ok: false, error: SIM_ERRORS.invalidParameter("Parameter 'contact' is required") };
  }
  let parsed: unknown;
  try {
    // Safe: the contact carries no numeric ids (status ids are strings, and numbers are refused below).
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, error: SIM_ERRORS.invalidParameter("Parameter 'contact' is not valid JSON") };
  }
  if (!isPlainObject(parsed)) {
    return { ok: false, error: SIM_ERRORS.invalidParameter("Parameter 'contact' must be a JSON object") };
  }

  const input: ContactInput = { fields: {} };
  for (const [key, value] of Object.entries(parsed)) {
    if (STRING_KEY_SET.has(key)) {
      if (typeof value !== 'string') return { ok: false, error: SIM_ERRORS.invalidData(`'${key}' must be a string`) };
      input.fields[key as StringKey] = value;
    } else if (key === 'contact_status') {
      const status = parseStatus(value);
      if ('code' in status) return { ok: false, error: status };
      input.status = status;
    } else {
      return { ok: false, error: SIM_ERRORS.invalidData(`Unknown key '${key}'`) };
    }
  }
  for (const required of ['first_name', 'mobile'] as const) {
    if ((input.fields[required] ?? '').trim() === '') {
      return { ok: false, error: SIM_ERRORS.mandatoryMissing(`'${required}' is mandatory`) };
    }
  }
  return { ok: true, input };
}
