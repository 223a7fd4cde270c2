import { EventEmitter, once } from 'node:events';
import type { Logger } from '../../logger';
import { closeRedisClient, describeRedisError, type RedisClient } from '../../redis/connection';
import type { RedisKeys } from '../../redis/keys';
import { DELETE_IF_EQUALS, RAISE_BACKOFF, RENEW_LOCK, TOKEN_SCRIPTS, WRITE_TOKEN } from '../../redis/lua/token-scripts';
import type { Clock } from '../clock';
import { SealedValueError, type Sealer } from '../sealed';
import { StoreUnavailableError, type StoredToken, type TokenStore } from './token-store';

export interface RedisTokenStoreOptions {
  /** The gateway's shared connection (commands). */
  client: RedisClient;
  keys: RedisKeys;
  sealer: Sealer;
  clock: Clock;
  log: Logger;
}

/** The scripts of token-scripts.ts as ioredis commands: (keys..., args...) => reply. */
type ScriptCommand = (...keysAndArgs: Array<string | number>) => Promise<number>;

/** Pub/sub messages on keys.token.written. None carries a token. */
const WRITTEN = 'written';
const UNLOCKED = 'unlocked';
const INVALIDATED = 'invalidated:';

/**
 * The fleet's token store in Redis: one sealed access token, the refresh lock, the accounts
 * back-off, and a pub/sub channel that wakes replicas waiting for a token.
 *
 * Every ioredis error becomes StoreUnavailableError here, so the token source can fall back to
 * in-process coordination during an outage. The token is sealed (AES-256-GCM) before it leaves
 * the process; no Redis value or message contains it.
 */
export class RedisTokenStore implements TokenStore {
  readonly kind = 'redis' as const;
  private readonly events = new EventEmitter();
  private readonly scripts: Record<string, ScriptCommand>;
  private unreadableLogged = false;

  private constructor(
    private readonly opts: RedisTokenStoreOptions,
    private readonly subscriber: RedisClient,
  ) {
    this.events.setMaxListeners(0);
    this.scripts = {};
    for (const script of TOKEN_SCRIPTS) {
      // defineCommand: EVALSHA with a fall-back to EVAL, on a single node or a Cluster alike.
      if (!(script.name in opts.client)) opts.client.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
      const command = (opts.client as unknown as Record<string, ScriptCommand>)[script.name]!;
      this.scripts[script.name] = command.bind(opts.client);
    }
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== opts.keys.token.written) return;
      if (message.startsWith(INVALIDATED)) this.events.emit('invalidated', Number(message.slice(INVALIDATED.length)));
      this.events.emit('token');
    });
  }

  /**
   * Subscribes to the token channel on a second connection (a subscribed connection can run no
   * other command) and returns the store. Throws StoreUnavailableError if that fails at start.
   */
  static async create(opts: RedisTokenStoreOptions): Promise<RedisTokenStore> {
    const subscriber = opts.client.duplicate();
    // Errors of this connection show in the main connection's log; waiters poll meanwhile.
    subscriber.on('error', () => undefined);
    try {
      if (subscriber.status === 'wait') await subscriber.connect();
      await subscriber.subscribe(opts.keys.token.written);
    } catch (err) {
      subscriber.disconnect();
      throw new StoreUnavailableError(describeRedisError(err));
    }
    return new RedisTokenStore(opts, subscriber);
  }

  async read(): Promise<StoredToken | null> {
    const raw = await this.redis(() => this.opts.client.get(this.opts.keys.token.value));
    return raw === null ? null : this.unseal(raw);
  }

  async write(token: StoredToken): Promise<void> {
    const ttlMs = Math.max(1, Math.ceil(token.expiresAt - this.opts.clock.now()));
    await this.redis(() =>
      this.scripts[WRITE_TOKEN.name]!(this.opts.keys.token.value, this.sealed(token), ttlMs, token.mintedAt, this.opts.keys.token.written, WRITTEN),
    );
  }

  async invalidate(value: string): Promise<boolean> {
    const { keys } = this.opts;
    const raw = await this.redis(() => this.opts.client.get(keys.token.value));
    if (raw === null) return false;
    const held = this.unseal(raw);
    if (held?.value !== value) return false;
    // Delete the exact stored text we just read: if a replica wrote a newer token meanwhile, it stays.
    const deleted = await this.redis(() => this.scripts[DELETE_IF_EQUALS.name]!(keys.token.value, raw, keys.token.written, `${INVALIDATED}${held.mintedAt}`));
    return deleted === 1;
  }

  async tryLock(owner: string, leaseMs: number): Promise<boolean> {
    const answer = await this.redis(() => this.opts.client.set(this.opts.keys.token.lock, owner, 'PX', Math.ceil(leaseMs), 'NX'));
    return answer === 'OK';
  }

  async renewLock(owner: string, leaseMs: number): Promise<boolean> {
    return (await this.redis(() => this.scripts[RENEW_LOCK.name]!(this.opts.keys.token.lock, owner, Math.ceil(leaseMs)))) === 1;
  }

  async unlock(owner: string): Promise<void> {
    const { keys } = this.opts;
    await this.redis(() => this.scripts[DELETE_IF_EQUALS.name]!(keys.token.lock, owner, keys.token.written, UNLOCKED));
  }

  async readBackoff(): Promise<number> {
    const raw = await this.redis(() => this.opts.client.get(this.opts.keys.token.backoff));
    const until = raw === null ? 0 : Number(raw);
    return Number.isFinite(until) && until > this.opts.clock.now() ? until : 0;
  }

  async writeBackoff(untilMs: number): Promise<void> {
    const ttlMs = Math.max(1, Math.ceil(untilMs - this.opts.clock.now()));
    await this.redis(() => this.scripts[RAISE_BACKOFF.name]!(this.opts.keys.token.backoff, Math.ceil(untilMs), ttlMs));
  }

  async waitForToken(timeoutMs: number): Promise<void> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    try {
      await once(this.events, 'token', { signal: ac.signal });
    } catch {
      // timed out (or pub/sub is down): the caller re-reads the store either way
    } finally {
      clearTimeout(timer);
    }
  }

  onInvalidated(listener: (mintedAt: number) => void): void {
    this.events.on('invalidated', listener);
  }

  onAvailable(listener: () => void): void {
    this.opts.client.on('ready', listener);
    this.events.once('closed', () => this.opts.client.off('ready', listener));
  }

  /** Closes the subscriber connection; the shared command connection belongs to the gateway. */
  async close(): Promise<void> {
    this.events.emit('closed');
    this.events.removeAllListeners();
    await closeRedisClient(this.subscriber);
  }

  /** `<mintedAt>|<sealed>`: the clear prefix orders tokens in Lua; the sealed part authenticates all three fields. */
  private sealed(token: StoredToken): string {
    const plaintext = JSON.stringify({ v: token.value, e: token.expiresAt, m: token.mintedAt });
    return `${token.mintedAt}|${this.opts.sealer.seal(plaintext, this.opts.keys.token.value)}`;
  }

  /** The stored token, or null when it has expired or cannot be opened (then a new one is minted). */
  private unseal(raw: string): StoredToken | null {
    const sealed = raw.slice(raw.indexOf('|') + 1);
    let token: StoredToken;
    try {
      const fields = JSON.parse(this.opts.sealer.open(sealed, this.opts.keys.token.value)) as { v: string; e: number; m: number };
      token = { value: fields.v, expiresAt: fields.e, mintedAt: fields.m };
    } catch (err) {
      if (!this.unreadableLogged) {
        this.unreadableLogged = true;
        const reason = err instanceof SealedValueError ? err.reason : 'malformed';
        this.opts.log.warn(
          { reason },
          'the token in Redis cannot be opened (do all replicas share TOKEN_ENCRYPTION_KEY, and is the previous key in TOKEN_ENCRYPTION_KEY_PREVIOUS?); minting a new one',
        );
      }
      return null;
    }
    return token.expiresAt > this.opts.clock.now() ? token : null;
  }

  /** Runs one Redis operation, translating every ioredis failure into StoreUnavailableError. */
  private async redis<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw new StoreUnavailableError(describeRedisError(err));
    }
  }
}
