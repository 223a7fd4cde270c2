/** Whose key it is: keys of different callers never meet. */
export interface IdempotencyScope {
  caller: string;
  key: string;
}

/** The answer a caller got, kept so a repeat gets the very same bytes. */
export interface StoredAnswer {
  status: number;
  /** The JSON text sent (a normalized Zoho answer or the gateway's error envelope). */
  body: string;
}

/** What `begin` found. */
export type BeginOutcome =
  /** No record: this request owns the key now and must complete or release it. */
  | { kind: 'started'; claim: string }
  /** Another request with this key is still running. */
  | { kind: 'in_flight' }
  /** The key was first used with a different request body. */
  | { kind: 'reused' }
  /** The first request finished: here is its answer. */
  | { kind: 'replay'; answer: StoredAnswer }
  /** The first request never finished (its gateway stopped mid-call): its outcome is unknown. */
  | { kind: 'abandoned' };

/**
 * Where the first answer to each (caller, Idempotency-Key) is kept: memory for one process,
 * Redis for a fleet. `begin` is atomic, so two concurrent requests can never both start.
 * Implementations translate their library's errors into IdempotencyStoreUnavailableError.
 */
export interface IdempotencyStore {
  readonly kind: 'memory' | 'redis';
  /**
   * Takes the key for a request whose body hashes to `fingerprint`, unless a record exists.
   * `runsUntil` (epoch ms) is when the request will certainly have ended; a record still in
   * flight after that belongs to a request that was cut off.
   */
  begin(scope: IdempotencyScope, fingerprint: string, runsUntil: number): Promise<BeginOutcome>;
  /** Keeps `answer` for the store's TTL, if `claim` still owns the key. */
  complete(scope: IdempotencyScope, claim: string, answer: StoredAnswer): Promise<void>;
  /** Frees the key (nothing was performed upstream), if `claim` still owns it. */
  release(scope: IdempotencyScope, claim: string): Promise<void>;
  close(): Promise<void>;
}

/** The store cannot be used right now; the gateway refuses the create rather than risk a duplicate. */
export class IdempotencyStoreUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`idempotency store unavailable: ${reason}`);
    this.name = 'IdempotencyStoreUnavailableError';
  }
}

/** The record both stores keep, as JSON text. */
export type IdempotencyRecord =
  | { state: 'in_flight'; fingerprint: string; claim: string; until: number }
  | { state: 'done'; fingerprint: string; answer: StoredAnswer };

/** What a found record means for a new request with `fingerprint` at `now`. */
export function outcomeOf(record: IdempotencyRecord, fingerprint: string, now: number): BeginOutcome {
  if (record.fingerprint !== fingerprint) return { kind: 'reused' };
  if (record.state === 'done') return { kind: 'replay', answer: record.answer };
  return now > record.until ? { kind: 'abandoned' } : { kind: 'in_flight' };
}
