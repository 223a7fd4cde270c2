import { randomUUID } from 'node:crypto';
import type { Clock } from '../oauth/clock';
import { describeRedisError, type RedisClient } from '../redis/connection';
import type { RedisKeys } from '../redis/keys';
import { BEGIN_IDEMPOTENT, COMPLETE_IDEMPOTENT, IDEMPOTENCY_SCRIPTS, RELEASE_IDEMPOTENT } from '../redis/lua/idempotency-scripts';
import {
  IdempotencyStoreUnavailableError,
  outcomeOf,
  type BeginOutcome,
  type IdempotencyRecord,
  type IdempotencyScope,
  type IdempotencyStore,
  type StoredAnswer,
} from './idempotency-store';

export interface RedisIdempotencyStoreOptions {
  /** The gateway's shared connection; its owner closes it. */
  client: RedisClient;
  keys: RedisKeys;
  ttlMs: number;
  clock: Clock;
}

type ScriptCommand = (...keysAndArgs: Array<string | number>) => Promise<unknown>;

/**
 * Idempotency records in Redis, shared by every replica: a repeat that lands on another replica
 * still finds the first answer. One key per (caller, Idempotency-Key), written only by the Lua
 * scripts of idempotency-scripts.ts. Every ioredis error becomes IdempotencyStoreUnavailableError.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  readonly kind = 'redis';
  private readonly scripts = new Map<string, ScriptCommand>();

  constructor(private readonly options: RedisIdempotencyStoreOptions) {
    const client = options.client;
    for (const script of IDEMPOTENCY_SCRIPTS) {
      if (!(script.name in client)) client.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
      this.scripts.set(script.name, (client as unknown as Record<string, ScriptCommand>)[script.name]!.bind(client));
    }
  }

  async begin(scope: IdempotencyScope, fingerprint: string, runsUntil: number): Promise<BeginOutcome> {
    const record: IdempotencyRecord = { state: 'in_flight', fingerprint, claim: randomUUID(), until: runsUntil };
    // The claim handed back is the exact text written: what complete and release compare against.
    const text = JSON.stringify(record);
    const found = await this.run(BEGIN_IDEMPOTENT.name, this.keyOf(scope), text, this.options.ttlMs);
    if (found === null) return { kind: 'started', claim: text };
    return outcomeOf(parseRecord(found), fingerprint, this.options.clock.now());
  }

  async complete(scope: IdempotencyScope, claim: string, answer: StoredAnswer): Promise<void> {
    const { fingerprint } = parseRecord(claim);
    const done: IdempotencyRecord = { state: 'done', fingerprint, answer };
    await this.run(COMPLETE_IDEMPOTENT.name, this.keyOf(scope), claim, JSON.stringify(done), this.options.ttlMs);
  }

  async release(scope: IdempotencyScope, claim: string): Promise<void> {
    await this.run(RELEASE_IDEMPOTENT.name, this.keyOf(scope), claim);
  }

  /** The connection is the gateway's, closed by its owner. */
  async close(): Promise<void> {}

  private keyOf(scope: IdempotencyScope): string {
    return this.options.keys.idempotency(scope.caller, scope.key).record;
  }

  private async run(name: string, ...keysAndArgs: Array<string | number>): Promise<string | null> {
    try {
      return (await this.scripts.get(name)!(...keysAndArgs)) as string | null;
    } catch (err) {
      throw new IdempotencyStoreUnavailableError(describeRedisError(err));
    }
  }
}

function parseRecord(text: string): IdempotencyRecord {
  try {
    return JSON.parse(text) as IdempotencyRecord;
  } catch {
    throw new IdempotencyStoreUnavailableError('unreadable idempotency record');
  }
}
