import { createHash, randomBytes } from 'node:crypto';

/**
 * Caller keys: 32 random bytes, base64url, behind a recognisable prefix (so a leaked key is easy
 * to spot in a repository or a paste, and secret scanners can match it). The gateway stores only
 * the key's SHA-256; the key itself is shown once, when it is made.
 */
export const CALLER_KEY_PREFIX = 'zvgw_';

/**
 * What a presented key may look like: RFC 6750's token68 alphabet, bounded. Anything else is
 * refused before it is hashed; keys made by `caller:new` always match.
 */
const PRESENTABLE_KEY = /^[A-Za-z0-9\-._~+/]{16,256}=*$/;

export function newCallerKey(): string {
  return `${CALLER_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** The SHA-256 of a key, as the raw 32 bytes (what the registry compares). */
export function callerKeyDigest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The SHA-256 of a key in hex: the `keySha256` of a callers-file entry. */
export function callerKeySha256Hex(key: string): string {
  return callerKeyDigest(key).toString('hex');
}

export function isPresentableKey(key: string): boolean {
  return PRESENTABLE_KEY.test(key);
}
