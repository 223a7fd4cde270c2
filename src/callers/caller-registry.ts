import { timingSafeEqual } from 'node:crypto';
import { callerKeyDigest, isPresentableKey } from './caller-key';
import type { Caller } from './callers-file';

/**
 * One loaded set of callers. A presented key is hashed and compared with every caller's hash in
 * constant time, with no early exit, so the time taken says nothing about which stored hash (or
 * how much of it) a guess came close to.
 */
export class CallerRegistry {
  constructor(private readonly callers: readonly Caller[]) {}

  get size(): number {
    return this.callers.length;
  }

  names(): string[] {
    return this.callers.map((c) => c.name);
  }

  /** The caller holding `key`, or undefined for an unknown or malformed key. */
  authenticate(key: string): Caller | undefined {
    if (!isPresentableKey(key)) return undefined;
    const digest = callerKeyDigest(key);
    let found: Caller | undefined;
    for (const caller of this.callers) {
      // Digests are always 32 bytes, so timingSafeEqual never throws on a length mismatch.
      if (timingSafeEqual(digest, caller.keyDigest) && found === undefined) found = caller;
    }
    return found;
  }
}
