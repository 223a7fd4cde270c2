import { Deadline } from '../../src/proxy/deadline';

describe('Deadline (the whole-call deadline without AbortSignal)', () => {
  test('when it passes, then every listener still registered is called once and `passed` turns true', async () => {
    const deadline = new Deadline(30);
    const calls: string[] = [];
    deadline.onPass(() => calls.push('a'));
    const off = deadline.onPass(() => calls.push('taken back'));
    deadline.onPass(() => calls.push('c'));
    off();
    expect(deadline.passed).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(deadline.passed).toBe(true);
    expect(calls).toEqual(['a', 'c']);
  });

  test('when a listener comes after it passed, then it is called at once', async () => {
    const deadline = new Deadline(5);
    await new Promise((r) => setTimeout(r, 30));
    let called = 0;
    deadline.onPass(() => called++);
    expect(called).toBe(1);
  });

  test('when it passes during a sleep, then the sleep ends early', async () => {
    const deadline = new Deadline(30);
    const started = Date.now();
    await deadline.sleep(5_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(deadline.passed).toBe(true);
  });

  test('when the sleep is shorter, then it ends on time and leaves no listener behind', async () => {
    const deadline = new Deadline(200);
    await deadline.sleep(10);
    expect(deadline.passed).toBe(false);
    expect((deadline as unknown as { listeners: unknown[] }).listeners).toHaveLength(0);
    deadline.clear();
  });

  test('when cleared, then it never passes and no listener is called', async () => {
    const deadline = new Deadline(20);
    let called = 0;
    deadline.onPass(() => called++);
    deadline.clear();
    await new Promise((r) => setTimeout(r, 50));
    expect(deadline.passed).toBe(false);
    expect(called).toBe(0);
  });

  test('`at` is when it passes, in epoch ms', () => {
    const before = Date.now();
    const deadline = new Deadline(10_000);
    expect(deadline.at).toBeGreaterThanOrEqual(before + 10_000);
    expect(deadline.at).toBeLessThanOrEqual(Date.now() + 10_000);
    deadline.clear();
  });
});
