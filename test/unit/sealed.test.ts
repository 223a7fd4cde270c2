import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config/config';
import { createSealer, keyIdOf, parseEncryptionKey, Sealer, SealedValueError } from '../../src/oauth/sealed';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const TOKEN = '1000.4f1c0a9d7e2b8c3a5f6e7d8c9b0a1f2e.9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a';
const CONTEXT = 'zvgw:{token}:value';

describe('parseEncryptionKey', () => {
  it('when given 64 hex characters, then those 32 bytes', () => {
    expect(parseEncryptionKey(keyA.toString('hex')).equals(keyA)).toBe(true);
    expect(parseEncryptionKey(keyA.toString('hex').toUpperCase()).equals(keyA)).toBe(true);
  });

  it('when given base64, base64url or unpadded base64 of 32 bytes, then those bytes', () => {
    expect(parseEncryptionKey(keyA.toString('base64')).equals(keyA)).toBe(true);
    expect(parseEncryptionKey(keyA.toString('base64url')).equals(keyA)).toBe(true);
    expect(parseEncryptionKey(keyA.toString('base64').replace(/=+$/, '')).equals(keyA)).toBe(true);
    expect(parseEncryptionKey(`${keyA.toString('hex')}\n`).equals(keyA)).toBe(true);
  });

  it.each([
    ['a 128-bit hex key', randomBytes(16).toString('hex'), /32 hex characters is not a 256-bit key/],
    ['63 hex characters', keyA.toString('hex').slice(1), /63 hex characters/],
    ['base64 of 16 bytes', randomBytes(16).toString('base64'), /base64 of 16 bytes is not a 256-bit key/],
    ['base64 of 48 bytes', randomBytes(48).toString('base64'), /base64 of 48 bytes/],
    ['a passphrase', 'correct horse battery staple', /neither hex nor base64/],
    ['an empty value', '   ', /empty/],
  ])('when given %s, then a start-up error naming the variable and the accepted forms', (_name, text, problem) => {
    expect(() => parseEncryptionKey(text, 'TOKEN_ENCRYPTION_KEY')).toThrow(problem);
    expect(() => parseEncryptionKey(text, 'TOKEN_ENCRYPTION_KEY')).toThrow(/^TOKEN_ENCRYPTION_KEY: .*64 hex characters or base64 of 32 random bytes/);
  });

  it('when the key is wrong, then the error message does not contain the key text', () => {
    const secretish = 'my-secret-passphrase-do-not-log';
    try {
      parseEncryptionKey(secretish);
      throw new Error('expected a failure');
    } catch (err) {
      expect((err as Error).message).not.toContain(secretish);
    }
  });

  it('when both configured keys are bad, then one error names both variables', () => {
    expect(() => createSealer({ encryptionKey: 'short', previousEncryptionKey: 'abcd' })).toThrow(
      /TOKEN_ENCRYPTION_KEY: [\s\S]*\nTOKEN_ENCRYPTION_KEY_PREVIOUS: /,
    );
  });
});

describe('Sealer', () => {
  it('when a token is sealed, then it opens to the same text and the sealed text does not contain it', () => {
    const sealer = new Sealer({ current: keyA });
    const sealed = sealer.seal(TOKEN, CONTEXT);
    expect(sealer.open(sealed, CONTEXT)).toBe(TOKEN);
    expect(sealed).not.toContain(TOKEN);
    expect(sealed).not.toContain('4f1c0a9d7e2b8c3a');
    expect(Buffer.from(sealed.split('.')[4]!, 'base64url').toString('latin1')).not.toContain('1000.');
  });

  it('when the same token is sealed twice, then the IVs and ciphertexts differ (random IV per write)', () => {
    const sealer = new Sealer({ current: keyA });
    const first = sealer.seal(TOKEN, CONTEXT).split('.');
    const second = sealer.seal(TOKEN, CONTEXT).split('.');
    expect(first[2]).not.toBe(second[2]);
    expect(first[4]).not.toBe(second[4]);
    expect(Buffer.from(first[2]!, 'base64url')).toHaveLength(12);
  });

  it('when a value is sealed, then it carries the id of the sealing key', () => {
    const sealed = new Sealer({ current: keyA }).seal(TOKEN, CONTEXT);
    expect(sealed.split('.').slice(0, 2)).toEqual(['v1', keyIdOf(keyA)]);
    expect(keyIdOf(keyA)).not.toBe(keyIdOf(keyB));
  });

  it('when the key is rotated, then values sealed with the previous key still open and new ones use the new key', () => {
    const before = new Sealer({ current: keyA });
    const oldValue = before.seal(TOKEN, CONTEXT);
    const after = new Sealer({ current: keyB, previous: keyA });
    expect(after.open(oldValue, CONTEXT)).toBe(TOKEN);
    expect(after.sealedWithPreviousKey(oldValue)).toBe(true);
    const newValue = after.seal(TOKEN, CONTEXT);
    expect(newValue.split('.')[1]).toBe(keyIdOf(keyB));
    expect(after.sealedWithPreviousKey(newValue)).toBe(false);
    // Once the previous key is dropped, its values no longer open.
    expect(() => new Sealer({ current: keyB }).open(oldValue, CONTEXT)).toThrow(new SealedValueError('unknown_key'));
  });

  it('when one byte of the ciphertext or tag changes, then opening fails as tampered', () => {
    const sealer = new Sealer({ current: keyA });
    const parts = sealer.seal(TOKEN, CONTEXT).split('.');
    for (const index of [3, 4]) {
      const bytes = Buffer.from(parts[index]!, 'base64url');
      bytes[0] = bytes[0]! ^ 0x01;
      const forged = parts.map((p, i) => (i === index ? bytes.toString('base64url') : p)).join('.');
      expect(() => sealer.open(forged, CONTEXT)).toThrow(new SealedValueError('tampered'));
    }
  });

  it('when a sealed value is read under another name, then it does not open (the name is authenticated)', () => {
    const sealer = new Sealer({ current: keyA });
    const sealed = sealer.seal(TOKEN, CONTEXT);
    expect(() => sealer.open(sealed, 'other:{token}:value')).toThrow(new SealedValueError('tampered'));
  });

  it('when the value is not a sealed value, then opening fails as malformed', () => {
    const sealer = new Sealer({ current: keyA });
    expect(() => sealer.open(TOKEN, CONTEXT)).toThrow(new SealedValueError('malformed'));
    expect(() => sealer.open('v1.x.y', CONTEXT)).toThrow(new SealedValueError('malformed'));
  });
});

describe('the encryption key in the configuration', () => {
  // loadConfig reports every problem together, so a bad key shows with the rest at start-up.
  const base = { ZOHO_CLIENT_ID: 'id', ZOHO_CLIENT_SECRET: 'secret', ZOHO_REFRESH_TOKEN: 'refresh', REDIS_URL: 'redis://127.0.0.1:6379' };
  const problemsOf = (env: Record<string, string>): string => {
    try {
      loadConfig(env);
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('when REDIS_URL is set without a key, then start-up is refused saying the key is required', () => {
    expect(problemsOf(base)).toMatch(/TOKEN_ENCRYPTION_KEY: required when REDIS_URL is set/);
  });

  it('when the key or the previous key is malformed, then both are reported, without their text', () => {
    const message = problemsOf({ ...base, TOKEN_ENCRYPTION_KEY: 'hunter2-hunter2', TOKEN_ENCRYPTION_KEY_PREVIOUS: 'abcd' });
    expect(message).toMatch(/TOKEN_ENCRYPTION_KEY: neither hex nor base64/);
    expect(message).toMatch(/TOKEN_ENCRYPTION_KEY_PREVIOUS: 4 hex characters is not a 256-bit key/);
    expect(message).not.toContain('hunter2');
  });

  it('when the key is 64 hex characters, then the configuration carries it for the Redis store', () => {
    const config = loadConfig({ ...base, TOKEN_ENCRYPTION_KEY: keyA.toString('hex'), TOKEN_ENCRYPTION_KEY_PREVIOUS: keyB.toString('base64') });
    expect(createSealer(config.redis!).keyId).toBe(keyIdOf(keyA));
  });
});
