import { randomUUID } from 'node:crypto';
import type { Clock } from '../oauth/clock';
import {
  IdempotencyStoreUnavailableError,
  outcomeOf,
  type BeginOutcome,
  type IdempotencyRecord,
  type IdempotencyScope,
  type IdempotencyStore,
  type StoredAnswer,
} from './idempotency-store';

interface Entry {
  record: IdempotencyRecord;
  expiresAt: number;
}

export interface MemoryIdempotencyStoreOptions {
  ttlMs: number;
  clock: Clock;
  /** Beyond this many live keys new ones are refused (503), never old ones forgotten early. */
  maxEntries?: number;
}

/**
 * Idempotency records in process memory: right for one gateway process (a sidecar). Every entry
 * lives exactly `ttlMs` from its last write, so the Map's insertion order is expiry order and
 * expired entries are swept from its front, a few at a time, on each call.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly kind = 'memory';
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;

  constructor(private readonly options: MemoryIdempotencyStoreOptions) {
    this.maxEntries = options.maxEntries ?? 100_000;
  }

  async begin(scope: IdempotencyScope, fingerprint: string, runsUntil: number): Promise<BeginOutcome> {
    const now = this.options.clock.now();
    this.sweep(now);
    const id = idOf(scope);
    const found = this.entries.get(id);
    if (found && found.expiresAt > now) return outcomeOf(found.record, fingerprint, now);
    if (this.entries.size >= this.maxEntries) throw new IdempotencyStoreUnavailableError(`memory store full (${this.maxEntries} keys)`);
    const claim = randomUUID();
    this.put(id, { state: 'in_flight', fingerprint, claim, until: runsUntil }, now);
    return { kind: 'started', claim };
  }

  async complete(scope: IdempotencyScope, claim: string, answer: StoredAnswer): Promise<void> {
    const id = idOf(scope);
    const record = this.owned(id, claim);
    if (record) this.put(id, { state: 'done', fingerprint: record.fingerprint, answer }, this.options.clock.now());
  }

  async release(scope: IdempotencyScope, claim: string): Promise<void> {
    const id = idOf(scope);
    if (this.owned(id, claim)) this.entries.delete(id);
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  private owned(id: string, claim: string): IdempotencyRecord | undefined {
    const record = this.entries.get(id)?.record;
    return record?.state === 'in_flight' && record.claim === claim ? record : undefined;
  }

  private put(id: string, record: IdempotencyRecord, now: number): void {
    this.entries.delete(id); // re-insert at the end: keeps the Map in expiry order
    this.entries.set(id, { record, expiresAt: now + this.options.ttlMs });
  }

  private sweep(now: number): void {
    let budget = 64;
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt > now || budget-- === 0) return;
      this.entries.delete(id);
    }
  }
}

/** Length-prefixed, so no caller name can forge another caller's key. */
function idOf(scope: IdempotencyScope): string {
  return `${scope.caller.length}:${scope.caller}:${scope.key}`;
}
