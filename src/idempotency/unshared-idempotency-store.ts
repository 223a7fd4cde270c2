import { IdempotencyStoreUnavailableError, type BeginOutcome, type IdempotencyStore } from './idempotency-store';

/**
 * The store of a node:cluster worker without REDIS_URL. Each worker would keep its own keys, and a
 * repeat landing on another worker would create the contact a second time, so keyed creates are
 * refused (503 IDEMPOTENCY_UNAVAILABLE, nothing sent) with a reason that says what to do.
 * Creates without a key and every other call are not affected.
 */
export class UnsharedIdempotencyStore implements IdempotencyStore {
  readonly kind = 'memory';

  async begin(): Promise<BeginOutcome> {
    throw new IdempotencyStoreUnavailableError('Idempotency-Key needs REDIS_URL when WORKERS > 1 (each worker process would keep its own keys)');
  }

  async complete(): Promise<void> {}

  async release(): Promise<void> {}

  async close(): Promise<void> {}
}
