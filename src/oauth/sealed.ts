import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Encryption at rest for what the gateway keeps in Redis (the access token): AES-256-GCM with a
 * random 96-bit IV per write. Every sealed value names the id of the key that sealed it, so the key
 * can be rotated: values sealed with the previous key still open while new ones use the current key.
 *
 * Sealed text: `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url parts). The `context` (e.g. the
 * Redis key name) is authenticated as additional data: a value copied under another name will not open.
 */

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A key given at start is unusable: the message names the variable and the accepted forms, never the value. */
export class EncryptionKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionKeyError';
  }

  static of(variable: string, problem: string): EncryptionKeyError {
    return new EncryptionKeyError(`${variable}: ${problem}; give 64 hex characters or base64 of 32 random bytes (e.g. \`openssl rand -hex 32\`)`);
  }
}

/** A sealed value could not be opened: unknown key id, tampered, or not a sealed value at all. */
export class SealedValueError extends Error {
  constructor(readonly reason: 'malformed' | 'unknown_key' | 'tampered') {
    super(`sealed value cannot be opened: ${reason}`);
    this.name = 'SealedValueError';
  }
}

/**
 * Reads a 256-bit key: exactly 64 hex characters, or base64 / base64url that decodes to exactly
 * 32 bytes. Anything else (a passphrase, a 128-bit key) is refused rather than stretched.
 */
export function parseEncryptionKey(text: string, variable = 'TOKEN_ENCRYPTION_KEY'): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  const base64 = decodeCanonicalBase64(trimmed);
  if (base64?.length === KEY_BYTES) return base64;
  if (/^[0-9a-fA-F]+$/.test(trimmed)) throw EncryptionKeyError.of(variable, `${trimmed.length} hex characters is not a 256-bit key (64 needed)`);
  if (base64) throw EncryptionKeyError.of(variable, `base64 of ${base64.length} bytes is not a 256-bit key (32 needed)`);
  throw EncryptionKeyError.of(variable, trimmed === '' ? 'empty' : 'neither hex nor base64');
}

/** For configuration checks: the problem with a key text (undefined when it is fine or not set). */
export function encryptionKeyProblem(text: string | undefined, variable: string): string | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    parseEncryptionKey(text, variable);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Standard or URL-safe base64, padded or not; null unless the text is exactly that (Buffer skips junk silently). */
function decodeCanonicalBase64(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return null;
  const standard = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  const bytes = Buffer.from(standard, 'base64');
  return bytes.toString('base64').replace(/=+$/, '') === standard ? bytes : null;
}

/** A short public id of a key: lets a reader pick the right key without revealing anything of it. */
export function keyIdOf(key: Buffer): string {
  return createHmac('sha256', key).update('zvgw key id').digest('base64url').slice(0, 8);
}

export interface SealerKeys {
  current: Buffer;
  /** The key being rotated out: opens old values, never seals. */
  previous?: Buffer;
}

/** Seals with the current key; opens with whichever known key the value names. */
export class Sealer {
  private readonly currentId: string;
  private readonly byId = new Map<string, Buffer>();

  constructor(keys: SealerKeys) {
    for (const key of [keys.current, keys.previous]) {
      if (key && key.length !== KEY_BYTES) throw new Error('encryption keys are 32 bytes');
    }
    this.currentId = keyIdOf(keys.current);
    if (keys.previous) this.byId.set(keyIdOf(keys.previous), keys.previous);
    this.byId.set(this.currentId, keys.current);
  }

  /** Id of the key new values are sealed with. */
  get keyId(): string {
    return this.currentId;
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.byId.get(this.currentId)!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, this.currentId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  /** The plaintext, or SealedValueError. */
  open(sealed: string, context: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new SealedValueError('malformed');
    const [, keyId, ivText, tagText, ciphertextText] = parts as [string, string, string, string, string];
    const key = this.byId.get(keyId);
    if (!key) throw new SealedValueError('unknown_key');
    const iv = Buffer.from(ivText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SealedValueError('malformed');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(ciphertextText, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SealedValueError('tampered');
    }
  }

  /** True when the value was sealed with the previous key (worth re-sealing with the current one). */
  sealedWithPreviousKey(sealed: string): boolean {
    const keyId = sealed.split('.', 3)[1];
    return keyId !== undefined && keyId !== this.currentId && this.byId.has(keyId);
  }
}

/** Builds the sealer from the configured key texts; throws EncryptionKeyError naming every bad one. */
export function createSealer(config: { encryptionKey: string; previousEncryptionKey?: string }): Sealer {
  const problems: string[] = [];
  const read = (text: string | undefined, variable: string): Buffer | undefined => {
    if (text === undefined) return undefined;
    try {
      return parseEncryptionKey(text, variable);
    } catch (err) {
      if (!(err instanceof EncryptionKeyError)) throw err;
      problems.push(err.message);
      return undefined;
    }
  };
  const current = read(config.encryptionKey, 'TOKEN_ENCRYPTION_KEY');
  const previous = read(config.previousEncryptionKey, 'TOKEN_ENCRYPTION_KEY_PREVIOUS');
  if (problems.length > 0 || !current) throw new EncryptionKeyError(problems.join('\n'));
  return new Sealer({ current, previous });
}
