import { once } from 'node:events';
import pino from 'pino';
import type { Logger } from '../logger';
import type { AuditRecord } from './audit-record';

/** Where audit lines go. Writes never block the request path; close() flushes what is buffered. */
interface AuditSink {
  write(line: string): void;
  reopen(): void;
  close(): Promise<void>;
}

type SonicBoom = ReturnType<typeof pino.destination>;

/**
 * The audit trail: one JSON line per request.
 * - With AUDIT_LOG_FILE: appended to that file through an asynchronous buffered writer (pino's
 *   sonic-boom, the same one the logs use), reopened on SIGHUP for log rotation.
 * - Without: written to the application log's own stream (stdout), tagged `"audit":true` so it
 *   can be told apart; sharing the one writer keeps lines whole (two writers on one pipe could
 *   interleave partial writes).
 */
export class AuditLog {
  private closed = false;

  private constructor(
    private readonly sink: AuditSink,
    /** Prepended to every line: `{"audit":true,` on stdout, `{` in a file. */
    private readonly opening: string,
  ) {}

  /** Opens the trail; a file that cannot be opened stops the start (an unaudited gateway must not run). */
  static async open(file: string | undefined, log: Logger): Promise<AuditLog> {
    if (file === undefined) return new AuditLog(loggerStreamSink(log), '{"audit":true,');
    return new AuditLog(await fileSink(file, log), '{');
  }

  record(record: AuditRecord): void {
    if (this.closed) return;
    this.sink.write(`${this.opening}${JSON.stringify(record).slice(1)}\n`);
  }

  /** After log rotation moved the file away (SIGHUP): start a new one under the same name. */
  reopen(): void {
    if (!this.closed) this.sink.reopen();
  }

  /** Writes out everything buffered; later records are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sink.close();
  }
}

/** The error raised when the audit file cannot be opened at start. */
export class AuditFileError extends Error {
  constructor(file: string, code: string) {
    super(`AUDIT_LOG_FILE ${file}: cannot open it for appending (${code})`);
    this.name = 'AuditFileError';
  }
}

async function fileSink(file: string, log: Logger): Promise<AuditSink> {
  const stream: SonicBoom = pino.destination({ dest: file, sync: false, append: true, mkdir: true });
  try {
    await Promise.race([once(stream, 'ready'), once(stream, 'error').then(([err]) => Promise.reject(err))]);
  } catch (err) {
    throw new AuditFileError(file, (err as NodeJS.ErrnoException).code ?? 'error');
  }
  let lastReported = 0;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    // A full disk must not take the gateway down; say so, at most once a minute.
    if (Date.now() - lastReported < 60_000) return;
    lastReported = Date.now();
    log.error({ audit_file: file, code: err.code }, 'audit log write failed');
  });
  return {
    write: (line) => stream.write(line),
    reopen: () => stream.reopen(),
    close: async () => {
      const closed = once(stream, 'close');
      try {
        stream.flushSync();
      } catch {
        // flushSync throws while an asynchronous write is still in flight; end() waits for it.
      }
      stream.end();
      await closed;
    },
  };
}

function loggerStreamSink(log: Logger): AuditSink {
  const stream = (log as unknown as Record<symbol, { write(line: string): unknown; flush?: (cb?: () => void) => void }>)[pino.symbols.streamSym]!;
  return {
    write: (line) => void stream.write(line),
    reopen: () => undefined,
    // Not ours to close: the logger's owner (main.ts) flushes it on the way out.
    close: () =>
      new Promise<void>((resolve) => {
        if (typeof stream.flush !== 'function') return resolve();
        try {
          stream.flush(() => resolve());
        } catch {
          resolve();
        }
      }),
  };
}
