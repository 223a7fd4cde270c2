import { CircuitBreaker, type BreakerState } from '../../src/proxy/circuit-breaker';

function breakerWithClock(failureThreshold = 3, cooldownMs = 1000) {
  const clock = { t: 1_000_000, now() { return this.t; } };
  const breaker = new CircuitBreaker({ failureThreshold, cooldownMs, clock });
  const changes: string[] = [];
  breaker.onStateChange((to: BreakerState, from: BreakerState) => changes.push(`${from}->${to}`));
  const fail = () => breaker.acquire()!.failure();
  const succeed = () => breaker.acquire()!.success();
  return { clock, breaker, changes, fail, succeed };
}

test('when failures reach the threshold in a row, then it opens and fails fast for the cool-down', () => {
  const { breaker, clock, changes, fail } = breakerWithClock(3, 1000);
  fail();
  fail();
  expect(breaker.state).toBe('closed');
  fail();
  expect(breaker.state).toBe('open');
  expect(breaker.acquire()).toBeNull();
  expect(breaker.isOpen()).toBe(true);
  expect(breaker.retryAfterSec()).toBe(1);
  clock.t += 400;
  expect(breaker.snapshot()).toEqual({ state: 'open', consecutiveFailures: 3, retryInMs: 600 });
  expect(changes).toEqual(['closed->open']);
});

test('when a success comes between failures, then the count starts again', () => {
  const { breaker, fail, succeed } = breakerWithClock(3);
  fail();
  fail();
  succeed();
  fail();
  fail();
  expect(breaker.state).toBe('closed');
  expect(breaker.snapshot().consecutiveFailures).toBe(2);
});

test('when the cool-down is over, then exactly one probe goes; its success closes the breaker', () => {
  const { breaker, clock, changes, fail } = breakerWithClock(1, 1000);
  fail();
  clock.t += 1000;
  const probe = breaker.acquire();
  expect(probe).not.toBeNull();
  expect(breaker.state).toBe('half_open');
  expect(breaker.acquire()).toBeNull(); // a second caller while the probe is out
  probe!.success();
  expect(breaker.state).toBe('closed');
  expect(breaker.acquire()).not.toBeNull();
  expect(changes).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
});

test('when the probe fails, then it opens for another full cool-down', () => {
  const { breaker, clock, fail } = breakerWithClock(1, 1000);
  fail();
  clock.t += 1000;
  breaker.acquire()!.failure();
  expect(breaker.state).toBe('open');
  clock.t += 999;
  expect(breaker.acquire()).toBeNull();
  clock.t += 1;
  expect(breaker.acquire()).not.toBeNull();
});

test('when a probe never reports, then another may go after a cool-down (the breaker cannot wedge)', () => {
  const { breaker, clock, fail } = breakerWithClock(1, 1000);
  fail();
  clock.t += 1000;
  expect(breaker.acquire()).not.toBeNull(); // lost
  clock.t += 999;
  expect(breaker.acquire()).toBeNull();
  clock.t += 1;
  expect(breaker.acquire()).not.toBeNull();
});

test('when attempts that left before it opened report late, then their news is ignored', () => {
  const { breaker, clock, fail } = breakerWithClock(2, 1000);
  const early = breaker.acquire()!;
  const earlyOk = breaker.acquire()!;
  fail();
  fail();
  expect(breaker.state).toBe('open');
  early.failure();
  earlyOk.success();
  expect(breaker.state).toBe('open');
  expect(breaker.snapshot().consecutiveFailures).toBe(2);
  clock.t += 1000;
  expect(breaker.acquire()).not.toBeNull();
});
