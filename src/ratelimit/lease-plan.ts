import type { RateLimitSettings } from './rate-limiter';

/** The largest lease covers about this much time at the configured rate. */
export const LEASE_WINDOW_MS = 100;
/** One lease is at most this share of the burst, so no replica holds much of the fleet's burst. */
export const LEASE_MAX_BURST_SHARE = 1 / 8;
/** Leased tokens not spent this long after the replica's last lease arrived are dropped (never returned). */
export const LEASE_LAPSE_MS = 1000;
/** A lease asks for about this much of the caller's recent demand on this replica (half the lapse time). */
export const LEASE_DEMAND_MS = LEASE_LAPSE_MS / 2;

/**
 * How a replica leases a caller's tokens from the shared bucket, derived once from the settings.
 *
 * A lease asks for what the caller spent on this replica over the last LEASE_DEMAND_MS (at least
 * 2), capped by `chunk`: tokens leased are what will be spent soon, not a share of the rate a quiet
 * caller would let lapse (with many replicas, lapsed leases would starve the shared bucket). So
 * Redis sees about two leases a second per busy caller and replica, and at most
 * 1000 / LEASE_WINDOW_MS when the caller runs at its full rate, instead of one per request.
 */
export interface LeasePlan {
  /** The largest lease: about LEASE_WINDOW_MS of the rate, at least 1, at most burst / 8. */
  readonly chunk: number;
  /** The first lease for a caller, before any demand is known: min(2, chunk). */
  readonly first: number;
  /** Unused tokens lapse this long after the last lease arrived. */
  readonly lapseMs: number;
}

export function leasePlan({ ratePerSec, burst }: RateLimitSettings): LeasePlan {
  const byRate = Math.round((ratePerSec * LEASE_WINDOW_MS) / 1000);
  const byBurst = Math.floor(burst * LEASE_MAX_BURST_SHARE);
  const chunk = Math.max(1, Math.min(byRate, byBurst));
  return { chunk, first: Math.min(2, chunk), lapseMs: LEASE_LAPSE_MS };
}

/**
 * Tokens to ask for, given `spent` tokens over `elapsedMs` since the last lease was asked for.
 * The window counts as at least LEASE_WINDOW_MS, so a few fast calls do not look like a flood.
 */
export function leaseSize(plan: LeasePlan, spent: number, elapsedMs: number): number {
  const perMs = spent / Math.max(elapsedMs, LEASE_WINDOW_MS);
  return Math.min(plan.chunk, Math.max(plan.first, Math.ceil(perMs * LEASE_DEMAND_MS)));
}

/** A call that leaves this many tokens of a lease of `size` or fewer (but some) asks for the next one ahead. */
export function leaseAheadMark(size: number): number {
  // A lease of 1 is never followed ahead: that token would sit unused while another replica is refused.
  return Math.floor(size / 2);
}
