import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Logger } from '../logger';
import { CallerRegistry } from './caller-registry';
import { CallersFileError, parseCallersFile } from './callers-file';

/** What a reload did: the new set is in use, or the old one was kept and why. */
export type ReloadOutcome = { ok: true; callers: number } | { ok: false; problems: string[] };

/**
 * The callers in use, read from GATEWAY_CALLERS_FILE. Loaded at start (a bad file stops the
 * start with every problem listed) and reloaded on SIGHUP: the new set replaces the old one in a
 * single assignment, so requests in flight and arriving never see a half-loaded set, and a bad
 * new file leaves the old set in place and logs why.
 */
export class CallerDirectory {
  private constructor(
    private readonly file: string,
    private readonly log: Logger,
    private registry: CallerRegistry,
  ) {}

  /** Reads the file once at start. Throws CallersFileError naming every problem. */
  static load(file: string, log: Logger): CallerDirectory {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CallersFileError(file, [unreadable(err)]);
    }
    const registry = new CallerRegistry(parseCallersFile(text, file));
    log.info({ callers_file: file, callers: registry.names() }, 'callers loaded: every call needs a caller key');
    return new CallerDirectory(file, log, registry);
  }

  /** The set in use right now. */
  current(): CallerRegistry {
    return this.registry;
  }

  /** Re-reads the file; on any problem keeps the set in use and logs why. Never throws. */
  async reload(): Promise<ReloadOutcome> {
    let problems: string[];
    try {
      const text = await readFile(this.file, 'utf8');
      const registry = new CallerRegistry(parseCallersFile(text, this.file));
      this.registry = registry;
      this.log.info({ callers_file: this.file, callers: registry.names() }, 'callers reloaded');
      return { ok: true, callers: registry.size };
    } catch (err) {
      problems = err instanceof CallersFileError ? err.problems : [unreadable(err)];
    }
    this.log.error(
      { callers_file: this.file, problems, callers_in_use: this.registry.names() },
      'callers file NOT reloaded: it is invalid, the callers already in use stay in force',
    );
    return { ok: false, problems };
  }
}

function unreadable(err: unknown): string {
  return `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
}
