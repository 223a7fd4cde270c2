import { EventEmitter, once } from 'node:events';
import type { Clock } from '../clock';
import { systemClock } from '../clock';
import type { StoredToken, TokenStore } from './token-store';

/** The embedded default: one process, no Redis. The lock still works, among callers in this process. */
export class MemoryTokenStore implements TokenStore {
  readonly kind = 'memory' as const;
  private token: StoredToken | null = null;
  private lock: { owner: string; until: number } | null = null;
  private backoffUntil = 0;
  private readonly written = new EventEmitter();

  constructor(private readonly clock: Clock = systemClock) {
    this.written.setMaxListeners(0);
  }

  async read(): Promise<StoredToken | null> {
    if (this.token && this.token.expiresAt <= this.clock.now()) this.token = null;
    return this.token;
  }

  async write(token: StoredToken): Promise<void> {
    // Like the Redis store: an older token never replaces a newer one.
    if (this.token && this.token.mintedAt > token.mintedAt) return;
    this.token = token;
    this.written.emit('token');
  }

  async invalidate(value: string): Promise<boolean> {
    if (this.token?.value !== value) return false;
    this.token = null;
    return true;
  }

  async tryLock(owner: string, leaseMs: number): Promise<boolean> {
    const now = this.clock.now();
    if (this.lock && this.lock.until > now) return false;
    this.lock = { owner, until: now + leaseMs };
    return true;
  }

  async renewLock(owner: string, leaseMs: number): Promise<boolean> {
    if (this.lock?.owner !== owner) return false;
    this.lock.until = this.clock.now() + leaseMs;
    return true;
  }

  async unlock(owner: string): Promise<void> {
    if (this.lock?.owner === owner) this.lock = null;
    this.written.emit('token');
  }

  async readBackoff(): Promise<number> {
    return this.backoffUntil > this.clock.now() ? this.backoffUntil : 0;
  }

  async writeBackoff(untilMs: number): Promise<void> {
    this.backoffUntil = Math.max(this.backoffUntil, untilMs);
  }

  async waitForToken(timeoutMs: number): Promise<void> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    try {
      await once(this.written, 'token', { signal: ac.signal });
    } catch {
      // timed out: the caller re-reads the store either way
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.written.removeAllListeners();
  }
}
