import { GatewayError } from '../errors/gateway-error';
import { contactSchema, type ContactInput } from './contact-input';

/** One bad field, named for the caller. Values are never echoed back. */
export interface FieldProblem {
  field: string;
  problem: string;
}

/** Enough to fix a request; a 10,000-key body should not produce a 10,000-line answer. */
const MAX_REPORTED_PROBLEMS = 25;

/** Where the contact came from: Zoho's own form (a JSON string) or a JSON body. */
export type ContactSource =
  | { kind: 'json-text'; text: string; field: string }
  | { kind: 'object'; value: unknown; field: string };

/**
 * Validates a contact for create or update. Returns the contact with only documented keys, or
 * throws INVALID_BODY naming every bad field.
 */
export function validateContact(source: ContactSource): ContactInput {
  let value: unknown;
  if (source.kind === 'json-text') {
    try {
      value = JSON.parse(source.text);
    } catch {
      throw invalid([{ field: source.field, problem: 'must be a JSON object encoded as a string' }]);
    }
  } else {
    value = source.value;
  }
  const parsed = contactSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems: FieldProblem[] = [];
  for (const issue of parsed.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ field: safeFieldName(key), problem: 'is not a documented contact field' });
    } else {
      const path = issue.path.map(String).join('.');
      problems.push({ field: path === '' ? source.field : path, problem: issue.message });
    }
  }
  throw invalid(problems);
}

function invalid(problems: FieldProblem[]): GatewayError {
  const reported = problems.slice(0, MAX_REPORTED_PROBLEMS);
  const details: { fields: FieldProblem[]; more?: number } = { fields: reported };
  if (problems.length > reported.length) details.more = problems.length - reported.length;
  return new GatewayError('INVALID_BODY', { details });
}

/** Unknown keys are caller input: shorten them and drop anything that is not printable. */
function safeFieldName(key: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = key.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return printable.length > 64 ? `${printable.slice(0, 64)}…` : printable;
}

/** The one form Zoho takes: the contact as JSON text in the `contact` parameter. */
export function toZohoContactParam(contact: ContactInput): string {
  return JSON.stringify(contact);
}
