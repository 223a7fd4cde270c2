import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors/gateway-error';
import type { PreparedCall } from '../proxy/contact-call';

/**
 * 8 to 255 visible ASCII characters without `"`, `,` or `\` (a UUID is the usual choice). The
 * IETF draft writes the key as a structured-field string, "quoted"; both forms are accepted.
 * A comma is refused so that two Idempotency-Key headers (which Node joins with ", ") never pass
 * for one key.
 */
const KEY = /^[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]{8,255}$/;

/** The request's Idempotency-Key, undefined when absent; 400 INVALID_HEADER when malformed. */
export function idempotencyKeyOf(req: IncomingMessage): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const value = typeof raw === 'string' && raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  if (typeof value !== 'string' || !KEY.test(value)) {
    throw new GatewayError('INVALID_HEADER', {
      details: { fields: [{ field: 'Idempotency-Key', problem: 'must be 8 to 255 visible ASCII characters without quotes, commas or backslashes (a UUID, for example)' }] },
    });
  }
  return value;
}

/**
 * What makes two creates "the same request": a hash of what the gateway would send upstream,
 * built from the validated contact. Validation serializes the contact in the schema's key order,
 * so the same contact sent as JSON or as Zoho's form, keys in any order, has one fingerprint.
 */
export function fingerprintOf(call: PreparedCall): string {
  return createHash('sha256').update(call.pathAndQuery).update('\n').update(call.formBody ?? '').digest('base64url');
}
