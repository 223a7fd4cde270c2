import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { callerKeySha256Hex, newCallerKey } from '../../src/callers/caller-key';
import type { CallerScope } from '../../src/callers/scopes';

export interface CallerSpec {
  name: string;
  scopes: CallerScope[];
}

/** A temporary directory holding a callers file, and the plain keys of its callers. */
export interface CallersFixture {
  dir: string;
  file: string;
  keys: Record<string, string>;
  /** Rewrites the file with these callers; keeps the key of a name already present. */
  write(callers: CallerSpec[]): void;
  /** Writes any text (for broken files). */
  writeText(text: string): void;
  remove(): void;
}

export function callersFixture(callers: CallerSpec[]): CallersFixture {
  const dir = mkdtempSync(path.join(tmpdir(), 'zvgw-callers-'));
  const file = path.join(dir, 'callers.json');
  const keys: Record<string, string> = {};
  const fixture: CallersFixture = {
    dir,
    file,
    keys,
    write(list) {
      const entries = list.map(({ name, scopes }) => {
        keys[name] ??= newCallerKey();
        return { name, keySha256: callerKeySha256Hex(keys[name]!), scopes };
      });
      writeFileSync(file, JSON.stringify(entries, null, 2));
    },
    writeText(text) {
      writeFileSync(file, text);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  fixture.write(callers);
  return fixture;
}

export const bearer = (key: string): string => `Bearer ${key}`;
