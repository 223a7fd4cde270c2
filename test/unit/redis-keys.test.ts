import { redisKeys } from '../../src/redis/keys';

/** The slot a key lands in on a Redis Cluster is decided by its hash tag: the text inside the first {...}. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('redisKeys', () => {
  const keys = redisKeys('zvgw:');

  it('when the token feature touches its keys together, then they all share one hash tag (one Cluster slot)', () => {
    const tags = [keys.token.value, keys.token.lock, keys.token.backoff].map(hashTag);
    expect(new Set(tags)).toEqual(new Set(['token']));
    expect(keys.token.value).toBe('zvgw:{token}:value');
    expect(keys.token.lock).toBe('zvgw:{token}:lock');
    expect(keys.token.backoff).toBe('zvgw:{token}:backoff');
  });

  it('when an Idempotency-Key is stored, then its key is stable, has its own tag and does not hold the caller input', () => {
    const { record } = keys.idempotency('billing', 'order-42 {x}');
    expect(hashTag(record)).toMatch(/^idem:[0-9a-f]{32}$/);
    expect(record).not.toContain('order-42');
    expect(keys.idempotency('billing', 'order-42 {x}')).toEqual({ record });
    // Separator games cannot make two callers' keys meet.
    expect(keys.idempotency('a:b', 'c').record).not.toBe(keys.idempotency('a', 'b:c').record);
  });

  it('when a caller name holds braces, then its rate-limit key keeps its own tag', () => {
    expect(keys.rateLimit('billing')).toBe('zvgw:{rl:billing}');
    expect(hashTag(keys.rateLimit('evil}{token'))).toBe('rl:evil%7D%7Btoken');
  });

  it('when every key is built, then each starts with the prefix', () => {
    const all = [...Object.values(keys.token), keys.startupProbe('x'), keys.rateLimit('c'), ...Object.values(keys.idempotency('c', 'k'))];
    for (const key of all) expect(key.startsWith('zvgw:')).toBe(true);
  });

  it('when the prefix contains a brace, then it is refused (it would become every key\'s tag)', () => {
    expect(() => redisKeys('app{1}:')).toThrow(/REDIS_KEY_PREFIX: .* must not contain "\{" or "\}"/);
  });
});
