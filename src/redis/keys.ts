import { createHash } from 'node:crypto';

/**
 * Every Redis key and channel name the gateway uses, for every feature, in this one module: a
 * reader sees the whole keyspace here, and no two features can collide.
 *
 * Redis Cluster hashes only the part of a key between the first `{` and the next `}` (the hash
 * tag). Keys that one Lua script or one MULTI touches together must share a slot, so each group
 * carries one tag:
 *   <prefix>{token}:value | :lock | :backoff | :written   one slot: the fleet's token, its lock, back-off, channel
 *   <prefix>{rl:<caller>}                                 one key per caller's rate-limit bucket
 *   <prefix>{idem:<digest>}:record                        one key per (caller, Idempotency-Key): in flight, or the first answer
 *   <prefix>{startup}:probe:<random>                      the start-up write check (one key per connection)
 * The prefix therefore must not contain `{` or `}` (it would become the tag of every key).
 */
export interface RedisKeys {
  readonly prefix: string;
  readonly token: {
    /** The access token (string `<mintedAt>|<sealed JSON of value, expiresAt, mintedAt>`, see src/oauth/sealed.ts), PX until it expires. */
    readonly value: string;
    /** The fleet's refresh lock (string: owner id), SET NX PX. */
    readonly lock: string;
    /** Epoch ms until which nobody calls the accounts server (string), with a matching PX. */
    readonly backoff: string;
    /** Pub/sub channel: "a token was written or the lock was released; re-read". */
    readonly written: string;
  };
  /** Start-up round-trip probe of one connection (deleted right after; a short PX in case it is not). */
  startupProbe(connectionId: string): string;
  /** The rate-limit bucket of one caller. */
  rateLimit(caller: string): string;
  /**
   * One Idempotency-Key of one caller: a JSON record, first "in flight" (with the owner's claim id),
   * then the first answer, for IDEMPOTENCY_TTL_SEC (see src/redis/lua/idempotency-scripts.ts).
   */
  idempotency(caller: string, idempotencyKey: string): { readonly record: string };
}

/** Thrown at start when the key prefix would break Cluster hash tags. */
export class InvalidKeyPrefixError extends Error {
  constructor(prefix: string) {
    super(`REDIS_KEY_PREFIX: "${prefix}" must not contain "{" or "}" (they would become the Redis Cluster hash tag of every key)`);
    this.name = 'InvalidKeyPrefixError';
  }
}

/** Builds the key names for one prefix (REDIS_KEY_PREFIX). */
export function redisKeys(prefix: string): RedisKeys {
  if (/[{}]/.test(prefix)) throw new InvalidKeyPrefixError(prefix);
  const token = `${prefix}{token}`;
  return {
    prefix,
    token: {
      value: `${token}:value`,
      lock: `${token}:lock`,
      backoff: `${token}:backoff`,
      written: `${token}:written`,
    },
    startupProbe: (connectionId) => `${prefix}{startup}:probe:${connectionId}`,
    // encodeURIComponent escapes { and }, so a caller's name cannot move its key to another tag.
    rateLimit: (caller) => `${prefix}{rl:${encodeURIComponent(caller)}}`,
    idempotency: (caller, idempotencyKey) => {
      // A digest: the key is caller input of any length and alphabet; the pair must not be forgeable
      // by a caller whose name contains the separator, hence the length-prefixed encoding.
      const digest = createHash('sha256').update(`${caller.length}:${caller}:${idempotencyKey}`).digest('hex').slice(0, 32);
      const tag = `${prefix}{idem:${digest}}`;
      return { record: `${tag}:record` };
    },
  };
}
