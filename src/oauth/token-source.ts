import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../errors/gateway-error';
import type { Logger } from '../logger';
import type { AccessTokenProvider, TokenLease } from './access-token-provider';
import type { Clock } from './clock';
import type { TokenClient } from './token-client';
import { TokenError, type TokenFailureKind } from './token-error';
import { StoreUnavailableError, type StoredToken, type TokenStore } from './token-store/token-store';

/** Hooks for metrics; every one optional. */
export interface TokenSourceObserver {
  cacheHit?(): void;
  cacheMiss?(): void;
  mint?(outcome: 'success' | TokenFailureKind): void;
  storeError?(): void;
  /** A refresh ran without fleet coordination because the store was down. */
  localFallback?(): void;
}

export interface TokenSourceOptions {
  store: TokenStore;
  client: TokenClient;
  clock: Clock;
  log: Logger;
  expirySkewMs: number;
  refreshAheadMs: number;
  endpointTimeoutMs: number;
  /** How long the fleet leaves the accounts server alone after a rate-limit answer. */
  rateLimitBackoffMs?: number;
  /** How long after invalid_client / invalid_code before trying the credentials again. */
  fatalRecheckMs?: number;
  mintAttempts?: number;
  /** Lease of the fleet's refresh lock, renewed every third of it while minting (default: endpoint timeout + 2 s). */
  lockLeaseMs?: number;
  /** Schedule proactive refreshes with timers (off in clock-controlled tests). */
  proactive?: boolean;
  observer?: TokenSourceObserver;
}

export interface TokenSourceStatus {
  hasToken: boolean;
  credentialsRejected: boolean;
  storeAvailable: boolean;
}

const REJECTED_MEMORY = 16;
/** After a store failure, go without it for this long before trying again (a hung Redis costs one timeout, not one per operation). */
const STORE_RETRY_MS = 1000;

/**
 * Gives out Zoho access tokens so that the whole fleet behaves as one Zoho client:
 * - warm path: an in-process copy answers with no I/O until it nears expiry;
 * - single flight in process, a lock across replicas, a re-read of the store after the lock;
 * - replicas without the lock wait for the holder's token instead of calling Zoho;
 * - refresh ahead of expiry (in the background), a fleet-wide back-off after a rate limit,
 *   fatal credential errors remembered (and logged once) instead of retried per request.
 */
export class TokenSource implements AccessTokenProvider {
  private current: StoredToken | null = null;
  private inflight: Promise<StoredToken> | null = null;
  private readonly rejected = new Set<string>();
  private fatal: { reason: string; until: number } | null = null;
  private storeAvailable = true;
  private storeRetryAt = 0;
  /** The fleet's accounts back-off as last seen: while it lasts, not even Redis is asked for a refresh. */
  private backoffUntil = 0;
  private refreshTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly owner = randomUUID();
  private readonly lockLeaseMs: number;
  private readonly waitLimitMs: number;
  private readonly mintAttempts: number;

  constructor(private readonly opts: TokenSourceOptions) {
    this.mintAttempts = opts.mintAttempts ?? 3;
    // Longer than one token call and renewed while the refresh runs, so a slow holder never loses
    // the lock, while a crashed one frees it within seconds.
    this.lockLeaseMs = opts.lockLeaseMs ?? opts.endpointTimeoutMs + 2000;
    // A waiter gives up only after the holder could have tried every attempt.
    this.waitLimitMs = this.mintAttempts * opts.endpointTimeoutMs + 3000;
    // Redis is back: use it from the next operation on, instead of waiting out STORE_RETRY_MS.
    opts.store.onAvailable?.(() => {
      this.storeRetryAt = 0;
    });
    // Another replica's 401 invalidated the token we hold too: drop it now rather than meet our own 401.
    opts.store.onInvalidated?.((mintedAt) => {
      const held = this.current;
      if (held && held.mintedAt === mintedAt) {
        this.rememberRejected(held.value);
        this.current = null;
      }
    });
  }

  async getAccessToken(): Promise<TokenLease> {
    const token = this.current;
    const now = this.opts.clock.now();
    if (token && this.usable(token, now)) {
      this.opts.observer?.cacheHit?.();
      if (now >= this.refreshDueAt(token) && now >= this.backoffUntil) this.refreshInBackground();
      return { value: token.value, refreshed: false };
    }
    this.opts.observer?.cacheMiss?.();
    const fresh = await this.refresh();
    return { value: fresh.value, refreshed: true };
  }

  async reportRejected(value: string): Promise<void> {
    this.rememberRejected(value);
    if (this.current?.value === value) this.current = null;
    await this.safely(() => this.opts.store.invalidate(value), false);
  }

  private rememberRejected(value: string): void {
    this.rejected.add(value);
    if (this.rejected.size > REJECTED_MEMORY) this.rejected.delete(this.rejected.values().next().value as string);
  }

  /** For /readyz: can a token be had right now? */
  async ready(): Promise<boolean> {
    try {
      await this.getAccessToken();
      return true;
    } catch {
      return false;
    }
  }

  status(): TokenSourceStatus {
    const now = this.opts.clock.now();
    return {
      hasToken: this.current !== null && this.usable(this.current, now),
      credentialsRejected: this.fatal !== null && this.fatal.until > now,
      storeAvailable: this.storeAvailable,
    };
  }

  close(): void {
    this.closed = true;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
  }

  /** Single flight: every caller in this process shares one refresh. */
  private refresh(): Promise<StoredToken> {
    this.inflight ??= this.obtain().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private refreshInBackground(): void {
    if (this.inflight || this.closed) return;
    this.refresh().catch((err: unknown) => {
      this.opts.log.warn({ code: (err as GatewayError).code }, 'background token refresh failed; the current token is still served');
    });
  }

  /** Gets a token newer than the one held now: from the store if a replica minted one, else by minting. */
  private async obtain(): Promise<StoredToken> {
    const { store, clock } = this.opts;
    const deadline = clock.now() + this.waitLimitMs;
    for (;;) {
      this.throwIfCredentialsRejected();
      if (this.backoffUntil > clock.now()) return this.stillValidOrRateLimited(null, this.backoffUntil);
      const stored = await this.safely(() => store.read(), null);
      if (stored && this.isFreshReplacement(stored)) return this.adopt(stored);

      const backoffUntil = await this.safely(() => store.readBackoff(), 0);
      if (backoffUntil > clock.now()) {
        this.backoffUntil = backoffUntil;
        return this.stillValidOrRateLimited(stored, backoffUntil);
      }

      const locked = await this.safely(() => store.tryLock(this.owner, this.lockLeaseMs), true);
      if (locked) {
        // Granted by the fallback: the store is down, so this refresh is coordinated in process only.
        if (!this.storeAvailable) this.opts.observer?.localFallback?.();
        return this.mintUnderLock();
      }

      // Another replica is refreshing. A token that is still valid serves meanwhile.
      if (stored && !this.rejected.has(stored.value) && this.usable(stored, clock.now())) return this.adopt(stored);
      const remaining = deadline - clock.now();
      if (remaining <= 0) throw new GatewayError('TOKEN_UNAVAILABLE', { retryAfterSec: 1 });
      await store.waitForToken(Math.min(remaining, 250)).catch(() => sleep(50));
    }
  }

  private async mintUnderLock(): Promise<StoredToken> {
    const { store, clock } = this.opts;
    try {
      // The holder re-reads: a replica may have written a token between our read and our lock.
      const stored = await this.safely(() => store.read(), null);
      if (stored && this.isFreshReplacement(stored)) return this.adopt(stored);
      const startedAt = clock.now();
      const minted = await this.withLockRenewed(() => this.mintWithRetry());
      const token: StoredToken = { value: minted.value, expiresAt: startedAt + minted.lifetimeMs, mintedAt: startedAt };
      await this.safely(() => store.write(token), undefined);
      return this.adopt(token);
    } finally {
      await this.safely(() => store.unlock(this.owner), undefined);
    }
  }

  /** Keeps extending the lease while `work` runs, so a slow token endpoint never costs us the lock. */
  private async withLockRenewed<T>(work: () => Promise<T>): Promise<T> {
    const { store, log } = this.opts;
    let lostLogged = false;
    const timer = setInterval(() => {
      void this.safely(() => store.renewLock(this.owner, this.lockLeaseMs), true).then((held) => {
        if (!held && !lostLogged) {
          lostLogged = true;
          log.warn('the token refresh lock expired while minting; another replica may mint too');
        }
      });
    }, Math.max(50, Math.floor(this.lockLeaseMs / 3)));
    timer.unref();
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  private async mintWithRetry(): Promise<{ value: string; lifetimeMs: number }> {
    for (let attempt = 1; ; attempt++) {
      try {
        const minted = await this.opts.client.mint();
        this.opts.observer?.mint?.('success');
        this.opts.log.info({ lifetime_s: Math.round(minted.lifetimeMs / 1000) }, 'minted a Zoho access token');
        return minted;
      } catch (err) {
        const failure = err instanceof TokenError ? err : new TokenError('transient', 'unexpected');
        this.opts.observer?.mint?.(failure.kind);
        if (failure.kind === 'transient' && attempt < this.mintAttempts) {
          // Full jitter keeps replicas that failed together from retrying together.
          await sleep(Math.random() * 200 * 2 ** attempt);
          continue;
        }
        throw await this.toGatewayError(failure);
      }
    }
  }

  private async toGatewayError(failure: TokenError): Promise<GatewayError> {
    const { clock, log, store } = this.opts;
    if (failure.kind === 'fatal') {
      if (!this.fatal) {
        log.error(
          { reason: failure.reason },
          'Zoho rejected the gateway credentials: invalid_client usually means a wrong client id/secret or data centre (ZOHO_DC); invalid_code a revoked refresh token',
        );
      }
      this.fatal = { reason: failure.reason, until: clock.now() + (this.opts.fatalRecheckMs ?? 600_000) };
      return new GatewayError('TOKEN_CREDENTIALS_INVALID', { cause: failure });
    }
    if (failure.kind === 'rate_limited') {
      const backoffMs = this.opts.rateLimitBackoffMs ?? 60_000;
      this.backoffUntil = clock.now() + backoffMs;
      await this.safely(() => store.writeBackoff(this.backoffUntil), undefined);
      log.warn({ backoff_s: backoffMs / 1000 }, 'Zoho rate-limited the token endpoint; the fleet backs off');
      return new GatewayError('TOKEN_RATE_LIMITED', { retryAfterSec: Math.ceil(backoffMs / 1000), cause: failure });
    }
    log.warn({ reason: failure.reason }, 'token endpoint failed');
    return new GatewayError('TOKEN_ENDPOINT_ERROR', { retryAfterSec: 1, cause: failure });
  }

  private stillValidOrRateLimited(stored: StoredToken | null, backoffUntil: number): StoredToken {
    const now = this.opts.clock.now();
    const candidates: Array<StoredToken | null> = [this.current, stored];
    for (const candidate of candidates) {
      if (candidate && !this.rejected.has(candidate.value) && this.usable(candidate, now)) {
        // Served until the back-off ends; no proactive timer, since nobody may refresh before then.
        this.current = candidate;
        return candidate;
      }
    }
    throw new GatewayError('TOKEN_RATE_LIMITED', { retryAfterSec: Math.max(1, Math.ceil((backoffUntil - now) / 1000)) });
  }

  private throwIfCredentialsRejected(): void {
    if (this.fatal && this.fatal.until > this.opts.clock.now()) throw new GatewayError('TOKEN_CREDENTIALS_INVALID');
    this.fatal = null;
  }

  /** A stored token worth adopting: not one Zoho rejected, and not itself due for refresh. */
  private isFreshReplacement(stored: StoredToken): boolean {
    return !this.rejected.has(stored.value) && this.opts.clock.now() < this.refreshDueAt(stored);
  }

  private adopt(token: StoredToken): StoredToken {
    this.current = token;
    this.scheduleProactiveRefresh(token);
    return token;
  }

  private scheduleProactiveRefresh(token: StoredToken): void {
    if (this.opts.proactive === false || this.closed) return;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    const lifetime = token.expiresAt - token.mintedAt;
    // A little jitter per replica: the first to wake takes the lock, the rest find its token.
    const jitter = Math.random() * Math.min(2000, lifetime * 0.05);
    const delay = Math.max(0, this.refreshDueAt(token) - this.opts.clock.now() + jitter);
    this.refreshTimer = setTimeout(() => this.refreshInBackground(), delay);
    this.refreshTimer.unref();
  }

  private usable(token: StoredToken, now: number): boolean {
    const lifetime = token.expiresAt - token.mintedAt;
    return now < token.expiresAt - Math.min(this.opts.expirySkewMs, lifetime * 0.1);
  }

  private refreshDueAt(token: StoredToken): number {
    const lifetime = token.expiresAt - token.mintedAt;
    return token.expiresAt - Math.min(this.opts.refreshAheadMs, lifetime * 0.25);
  }

  /**
   * Runs a store operation; when the store is down, logs once, counts, and goes on with the
   * fallback, so a Redis outage degrades to per-process coordination instead of failing calls.
   */
  private async safely<T>(op: () => Promise<T>, fallback: T): Promise<T> {
    if (!this.storeAvailable && this.opts.clock.now() < this.storeRetryAt) return fallback;
    try {
      const result = await op();
      if (!this.storeAvailable) {
        this.storeAvailable = true;
        this.opts.log.info('token store reachable again; fleet coordination resumed');
      }
      return result;
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      this.opts.observer?.storeError?.();
      this.storeRetryAt = this.opts.clock.now() + STORE_RETRY_MS;
      if (this.storeAvailable) {
        this.storeAvailable = false;
        this.opts.log.warn({ reason: err.reason }, 'token store unavailable; refreshing with in-process single flight until it returns');
      }
      return fallback;
    }
  }
}
