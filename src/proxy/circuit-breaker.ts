import type { Clock } from '../oauth/clock';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** A point-in-time view of the breaker, for /readyz detail logs and metrics. */
export interface BreakerSnapshot {
  state: BreakerState;
  /** Failed attempts in a row (reset by any success). */
  consecutiveFailures: number;
  /** While open: ms until a half-open probe may go. 0 otherwise. */
  retryInMs: number;
}

export type BreakerListener = (to: BreakerState, from: BreakerState, snapshot: BreakerSnapshot) => void;

export interface CircuitBreakerOptions {
  /** Consecutive failed attempts that open the breaker. */
  failureThreshold: number;
  /** How long it stays open (fails fast) before letting one probe through. */
  cooldownMs: number;
  clock: Clock;
}

/** Leave to send one attempt; report how it went exactly once. */
export interface BreakerPermit {
  success(): void;
  failure(): void;
}

/**
 * A circuit breaker toward the Voice API, counting consecutive failed attempts (connection errors,
 * timeouts, 5xx). Closed: everything goes. After `failureThreshold` failures in a row it opens
 * and callers fail fast for `cooldownMs` (503 CIRCUIT_OPEN with Retry-After), sparing a struggling
 * Zoho and answering callers at once instead of after a timeout. Then it is half-open: one probe
 * goes; its success closes the breaker, its failure opens it for another cool-down.
 *
 * Hand-written rather than a library: the rule wanted is "N consecutive failures", which opossum's
 * percentage-over-a-rolling-window model does not express, and this is small enough to test with an
 * injected clock.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openUntil = 0;
  /** When the half-open probe left; a probe that never reports frees the slot after a cool-down. */
  private probeSince: number | null = null;
  private readonly listeners: BreakerListener[] = [];

  constructor(private readonly options: CircuitBreakerOptions) {}

  /** A permit to send one attempt, or null: fail fast. */
  acquire(): BreakerPermit | null {
    const now = this.options.clock.now();
    if (this.current === 'closed') return this.permit(false);
    if (this.current === 'open') {
      if (now < this.openUntil) return null;
      this.moveTo('half_open');
    }
    if (this.probeSince !== null && now - this.probeSince < this.options.cooldownMs) return null;
    this.probeSince = now;
    return this.permit(true);
  }

  /** Whether a call would fail fast right now (without taking the probe slot). */
  isOpen(): boolean {
    const now = this.options.clock.now();
    if (this.current === 'open') return now < this.openUntil;
    return this.current === 'half_open' && this.probeSince !== null && now - this.probeSince < this.options.cooldownMs;
  }

  /** Seconds a caller should wait before trying again (Retry-After), at least 1. */
  retryAfterSec(): number {
    return Math.max(1, Math.ceil(this.snapshot().retryInMs / 1000));
  }

  snapshot(): BreakerSnapshot {
    const retryInMs = this.current === 'open' ? Math.max(0, this.openUntil - this.options.clock.now()) : 0;
    return { state: this.current, consecutiveFailures: this.failures, retryInMs };
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Called on every state change (metrics, logs). */
  onStateChange(listener: BreakerListener): void {
    this.listeners.push(listener);
  }

  private permit(probe: boolean): BreakerPermit {
    let reported = false;
    const report = (ok: boolean) => {
      if (reported) return;
      reported = true;
      if (probe) this.probeResult(ok);
      else if (this.current === 'closed') this.closedResult(ok);
      // Attempts that left before the breaker opened and end after: their news is stale.
    };
    return { success: () => report(true), failure: () => report(false) };
  }

  private closedResult(ok: boolean): void {
    if (ok) {
      this.failures = 0;
      return;
    }
    this.failures += 1;
    if (this.failures >= this.options.failureThreshold) this.open();
  }

  private probeResult(ok: boolean): void {
    this.probeSince = null;
    if (this.current !== 'half_open') return;
    if (ok) {
      this.failures = 0;
      this.moveTo('closed');
    } else {
      this.failures += 1;
      this.open();
    }
  }

  private open(): void {
    this.openUntil = this.options.clock.now() + this.options.cooldownMs;
    this.moveTo('open');
  }

  private moveTo(state: BreakerState): void {
    const from = this.current;
    if (from === state) return;
    this.current = state;
    if (state !== 'half_open') this.probeSince = null;
    const snapshot = this.snapshot();
    for (const listener of this.listeners) listener(state, from, snapshot);
  }
}
