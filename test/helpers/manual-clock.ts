import type { Clock } from '../../src/oauth/clock';

/** A clock the test moves by hand, injected instead of sleeping. */
export class ManualClock implements Clock {
  constructor(private t = Date.now()) {}
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}
