import type { RequestHandler } from 'express';
import { GatewayError } from '../errors/gateway-error';

/**
 * Graceful shutdown's bookkeeping: which requests are in flight, and whether new ones are still
 * welcome. Once `begin()` is called, /readyz answers 503 (through isShuttingDown), a new contact
 * call gets 503 SHUTTING_DOWN (nothing was sent, so a caller may retry it at once elsewhere),
 * every answer carries `Connection: close` so keep-alive callers move on, and `idle()` tells the
 * gateway when the calls already running have all finished.
 */
export class Drain {
  private active = 0;
  private draining = false;
  private waiters: Array<() => void> = [];

  get shuttingDown(): boolean {
    return this.draining;
  }

  /** Requests that have arrived and not yet finished (answered or abandoned by the caller). */
  get inFlight(): number {
    return this.active;
  }

  /** First in the chain: counts the request until its response closes. */
  readonly track: RequestHandler = (_req, res, next) => {
    this.active += 1;
    if (this.draining) res.setHeader('Connection', 'close');
    res.once('close', () => {
      this.active -= 1;
      if (this.active === 0) this.wake();
    });
    next();
  };

  /** After the health routes: new calls are turned away while draining. */
  readonly refuseWhenDraining: RequestHandler = (_req, res, next) => {
    if (!this.draining) return next();
    res.setHeader('Connection', 'close');
    next(new GatewayError('SHUTTING_DOWN', { retryAfterSec: 1 }));
  };

  begin(): void {
    this.draining = true;
  }

  /** Resolves true once nothing is in flight, or false when `timeoutMs` passes first. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.active === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(done);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}
