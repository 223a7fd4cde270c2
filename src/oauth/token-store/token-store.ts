/** An access token as kept in a store: the value and when Zoho says it expires (epoch ms). */
export interface StoredToken {
  value: string;
  expiresAt: number;
  /** When it was minted (epoch ms); lets a reader tell a newer token from an older one. */
  mintedAt: number;
}

/**
 * Where the fleet keeps its one access token, the refresh lock and the accounts back-off.
 * The memory store serves one process; the Redis store makes every replica one Zoho client.
 * Implementations translate their library's errors into StoreUnavailableError.
 */
export interface TokenStore {
  readonly kind: 'memory' | 'redis';
  read(): Promise<StoredToken | null>;
  write(token: StoredToken): Promise<void>;
  /** Deletes the token only if it still is `value`, so a newer token is never clobbered. */
  invalidate(value: string): Promise<boolean>;
  /** Takes the fleet's refresh lock for `leaseMs` if nobody holds it. */
  tryLock(owner: string, leaseMs: number): Promise<boolean>;
  /** Extends the lease, only if `owner` still holds it. */
  renewLock(owner: string, leaseMs: number): Promise<boolean>;
  /** Releases the lock, only if `owner` still holds it (atomic compare-and-delete). */
  unlock(owner: string): Promise<void>;
  /** Epoch ms until which nobody may call the accounts server (0: no back-off). */
  readBackoff(): Promise<number>;
  writeBackoff(untilMs: number): Promise<void>;
  /**
   * Resolves when another holder may have written a token (pub/sub or local event), or after
   * `timeoutMs`, whichever comes first. Waiters re-read the store after it resolves.
   */
  waitForToken(timeoutMs: number): Promise<void>;
  /**
   * Tells `listener` when any replica invalidated a token (its mintedAt), so every replica drops
   * that token without waiting for its own 401. Only shared stores need it.
   */
  onInvalidated?(listener: (mintedAt: number) => void): void;
  /** Tells `listener` when the store's connection is (re)established, so a caller that backed off from it tries again now. */
  onAvailable?(listener: () => void): void;
  close(): Promise<void>;
}

/** The store could not be reached; the token source falls back to in-process coordination. */
export class StoreUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`token store unavailable: ${reason}`);
    this.name = 'StoreUnavailableError';
  }
}
