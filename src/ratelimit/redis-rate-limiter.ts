import type { Logger } from '../logger';
import type { Clock } from '../oauth/clock';
import { describeRedisError, type RedisClient } from '../redis/connection';
import type { RedisKeys } from '../redis/keys';
import { LEASE_TOKENS } from '../redis/lua/rate-limit-scripts';
import { leaseAheadMark, leasePlan, leaseSize, type LeasePlan } from './lease-plan';
import type { MemoryRateLimiter } from './memory-rate-limiter';
import type { RateDecision, RateLimiter, RateLimitSettings } from './rate-limiter';

type LeaseCommand = (key: string, ratePerSec: number, burst: number, want: number) => Promise<[number, number]>;

/** While Redis is away, one lease is tried this often (in the background) to notice it is back. */
export const OUTAGE_RETRY_MS = 1000;
/** A call waits for at most this many leases (calls waiting with it may spend them first). */
const MAX_LEASES_AWAITED = 4;

export interface RedisRateLimiterOptions {
  client: RedisClient;
  keys: RedisKeys;
  settings: RateLimitSettings;
  /** Used while Redis is unreachable: each replica then limits on its own. */
  fallback: MemoryRateLimiter;
  log: Logger;
  /** Local time: demand, lapses, when to ask Redis again. The bucket itself runs on Redis's clock. */
  clock: Clock;
  /** Called on each failed Redis round trip (metrics). */
  onError?(): void;
}

/** What the limiter did so far: leases are its only Redis commands. */
export interface LeaseStats {
  /** Lease script calls sent to Redis (answered or not). */
  leases: number;
  /** Of those, the ones that failed (Redis unreachable, timeout). */
  failedLeases: number;
  /** Tokens Redis granted over all leases (each one spent, lapsed or still held). */
  grantedTokens: number;
  /** take() calls that waited for a lease; every other call was answered without I/O. */
  awaitedTakes: number;
  /** Leased tokens dropped unspent after LEASE_LAPSE_MS. */
  lapsedTokens: number;
}

/** One caller's tokens leased from the shared bucket and not yet spent, in this replica. */
interface Allowance {
  tokens: number;
  lapsesAt: number;
  /** Size of the last lease asked for: a call leaving half of it or less asks for the next ahead. */
  leaseSize: number;
  /** Tokens spent since `measuredSince` (when the last lease was asked for): the caller's demand here. */
  spent: number;
  measuredSince: number;
  /** The bucket is short until then: no lease before it, and a call finding no tokens is refused. */
  nextLeaseAt: number;
  /** take() calls waiting for a lease now: a lease asked while they wait covers them all. */
  waiting: number;
  /** The lease on its way, if any (one at a time per caller). Resolves false when Redis failed. */
  inFlight: Promise<boolean> | null;
}

/**
 * Token buckets in Redis, one per caller, so the limit holds for the whole fleet rather than per
 * replica, without a Redis round trip per request: each replica leases tokens from the caller's
 * bucket (one atomic script: refill on Redis's clock, grant up to what is asked) and spends them
 * locally. Running low asks for the next lease in the background; only a call that finds no
 * tokens waits for one, and calls that find the bucket drained are refused locally until enough
 * has flowed back. lease-plan.ts sizes the leases; README "Rate limit" states how far the fleet
 * can be from one exact bucket.
 *
 * While Redis is away the limiter falls back to this replica's memory buckets instead of refusing
 * every call (or letting every call through), says so once per outage, and tries one lease every
 * OUTAGE_RETRY_MS in the background to notice Redis is back.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly kind = 'redis' as const;
  readonly plan: LeasePlan;
  private readonly lease: LeaseCommand;
  private readonly allowances = new Map<string, Allowance>();
  private readonly allowed: Promise<RateDecision> = Promise.resolve(Object.freeze({ allowed: true, retryAfterMs: 0 }));
  private readonly counts: LeaseStats = { leases: 0, failedLeases: 0, grantedTokens: 0, awaitedTakes: 0, lapsedTokens: 0 };
  private readonly oneTokenMs: number;
  private outage = false;
  private nextOutageProbeAt = 0;
  private closed = false;

  constructor(private readonly opts: RedisRateLimiterOptions) {
    this.plan = leasePlan(opts.settings);
    this.oneTokenMs = 1000 / opts.settings.ratePerSec;
    const client = opts.client as unknown as Record<string, LeaseCommand>;
    if (!(LEASE_TOKENS.name in client)) opts.client.defineCommand(LEASE_TOKENS.name, { numberOfKeys: LEASE_TOKENS.numberOfKeys, lua: LEASE_TOKENS.lua });
    this.lease = client[LEASE_TOKENS.name]!.bind(opts.client);
  }

  take(caller: string): Promise<RateDecision> {
    const allowance = this.allowanceOf(caller);
    const now = this.opts.clock.now();
    if (this.spend(caller, allowance, now)) return this.allowed;
    const refused = this.refusedUntilNextLease(allowance, now);
    if (refused) return Promise.resolve(refused);
    if (this.outage) return Promise.resolve(this.duringOutage(caller, allowance, now));
    return this.takeAfterLease(caller, allowance);
  }

  /** A copy of the counters (tests and the README's figures). */
  stats(): LeaseStats {
    return { ...this.counts };
  }

  /** Waits for leases on their way, so none fails on the closing connection (the gateway closes it). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.allowances.values()].map((a) => a.inFlight));
  }

  /** Spends one leased token if there is one; running low asks for the next lease in the background. */
  private spend(caller: string, allowance: Allowance, now: number): boolean {
    if (allowance.tokens > 0 && now >= allowance.lapsesAt) {
      this.counts.lapsedTokens += allowance.tokens;
      allowance.tokens = 0;
    }
    if (allowance.tokens === 0) return false;
    allowance.tokens -= 1;
    allowance.spent += 1;
    if (allowance.tokens > 0 && allowance.tokens <= leaseAheadMark(allowance.leaseSize) && !this.outage && now >= allowance.nextLeaseAt) {
      void this.leaseOnce(caller, allowance);
    }
    return true;
  }

  /** The bucket was found drained: refuse locally until then instead of asking on every call. */
  private refusedUntilNextLease(allowance: Allowance, now: number): RateDecision | null {
    return now < allowance.nextLeaseAt ? { allowed: false, retryAfterMs: Math.ceil(allowance.nextLeaseAt - now) } : null;
  }

  /** This replica's memory buckets decide; a lease now and then checks whether Redis is back. */
  private duringOutage(caller: string, allowance: Allowance, now: number): RateDecision {
    if (now >= this.nextOutageProbeAt && !this.closed) {
      this.nextOutageProbeAt = now + OUTAGE_RETRY_MS;
      void this.leaseOnce(caller, allowance);
    }
    return this.opts.fallback.takeNow(caller);
  }

  private async takeAfterLease(caller: string, allowance: Allowance): Promise<RateDecision> {
    this.counts.awaitedTakes += 1;
    allowance.waiting += 1;
    try {
      for (let i = 0; i < MAX_LEASES_AWAITED; i++) {
        const answered = await this.leaseOnce(caller, allowance);
        const now = this.opts.clock.now();
        if (this.spend(caller, allowance, now)) return { allowed: true, retryAfterMs: 0 };
        if (!answered) return this.opts.fallback.takeNow(caller);
        const refused = this.refusedUntilNextLease(allowance, now);
        if (refused) return refused;
        // Granted in full, but calls that waited with this one spent it: the next lease covers all still waiting.
      }
      return { allowed: false, retryAfterMs: Math.ceil(this.plan.chunk * this.oneTokenMs) };
    } finally {
      allowance.waiting -= 1;
    }
  }

  /** The lease on its way for this caller, or a new one: never two at once per caller. */
  private leaseOnce(caller: string, allowance: Allowance): Promise<boolean> {
    if (this.closed && !allowance.inFlight) return Promise.resolve(false);
    allowance.inFlight ??= this.fetchLease(caller, allowance).finally(() => {
      allowance.inFlight = null;
    });
    return allowance.inFlight;
  }

  private async fetchLease(caller: string, allowance: Allowance): Promise<boolean> {
    const { ratePerSec, burst } = this.opts.settings;
    const asked = this.opts.clock.now();
    const demand = allowance.leaseSize === 0 ? this.plan.first : leaseSize(this.plan, allowance.spent, asked - allowance.measuredSince);
    allowance.leaseSize = demand;
    allowance.spent = 0;
    allowance.measuredSince = asked;
    // Calls waiting right now spend what they wait for at once: asking for them all is not hoarding.
    const want = Math.min(burst, Math.max(demand, allowance.waiting));
    this.counts.leases += 1;
    try {
      const [granted, waitMs] = await this.lease(this.opts.keys.rateLimit(caller), ratePerSec, burst, want);
      const now = this.opts.clock.now();
      this.counts.grantedTokens += granted;
      if (granted > 0) {
        allowance.tokens += granted;
        allowance.lapsesAt = now + this.plan.lapseMs;
      }
      // Drained: one token is back after waitMs (Redis's clock), a lease's worth a little later.
      // Asking sooner would buy a token per round trip, so calls are refused locally until then;
      // the tokens wait in the shared bucket meanwhile (not lost), at most one lease's worth late.
      const refill = Math.min(want, this.plan.chunk) - 1;
      allowance.nextLeaseAt = granted < want ? now + waitMs + refill * this.oneTokenMs : 0;
      if (this.outage) {
        this.outage = false;
        this.opts.log.info('rate limit shared through Redis again');
      }
      return true;
    } catch (err) {
      this.counts.failedLeases += 1;
      this.opts.onError?.();
      this.nextOutageProbeAt = this.opts.clock.now() + OUTAGE_RETRY_MS;
      if (!this.outage) {
        this.outage = true;
        this.opts.log.warn({ reason: describeRedisError(err) }, 'rate limit: Redis unavailable, limiting per replica until it is back');
      }
      return false;
    }
  }

  private allowanceOf(caller: string): Allowance {
    let allowance = this.allowances.get(caller);
    if (!allowance) {
      // Names come from the callers file (or the one sidecar bucket), so the map stays that small.
      allowance = { tokens: 0, lapsesAt: 0, leaseSize: 0, spent: 0, measuredSince: 0, nextLeaseAt: 0, waiting: 0, inFlight: null };
      this.allowances.set(caller, allowance);
    }
    return allowance;
  }
}
