/** What an upstream attempt needs of the call's deadline: has it passed, and a call when it does. */
export interface CallDeadline {
  readonly passed: boolean;
  /** Calls `listener` once when the deadline passes; returns a function that takes it back. */
  onPass(listener: () => void): () => void;
}

const NOTHING_TO_UNDO = (): void => undefined;

/**
 * The whole-call deadline (UPSTREAM_TIMEOUT_MS): one timer, and plain callbacks for whoever must
 * stop when it passes (the token wait, the attempt in flight, a back-off sleep).
 *
 * Every call makes one, so it is not an AbortSignal: on Node 20, AbortSignal.timeout() costs
 * about 10 µs and each abort listener added and removed about 3 µs more (EventTarget), several
 * percent of a whole gateway hop, paid on every request for a deadline that almost never passes.
 */
export class Deadline implements CallDeadline {
  /** Epoch ms when it passes. */
  readonly at: number;
  private hasPassed = false;
  private listeners: Array<() => void> = [];
  private readonly timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.at = Date.now() + ms;
    this.timer = setTimeout(() => this.pass(), ms);
    // A call's deadline alone never keeps the process alive (shutdown has its own grace period).
    this.timer.unref();
  }

  get passed(): boolean {
    return this.hasPassed;
  }

  /** Calls `listener` once when the deadline passes, at once if it already has. */
  onPass(listener: () => void): () => void {
    if (this.hasPassed) {
      listener();
      return NOTHING_TO_UNDO;
    }
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at !== -1) this.listeners.splice(at, 1);
    };
  }

  /** Waits `ms`, or less when the deadline passes first. Never rejects. */
  sleep(ms: number): Promise<void> {
    if (this.hasPassed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(done, ms);
      const off = this.onPass(done);
    });
  }

  /** The call is over: its timer goes now rather than when it would have fired. */
  clear(): void {
    clearTimeout(this.timer);
    this.listeners = [];
  }

  private pass(): void {
    this.hasPassed = true;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}
