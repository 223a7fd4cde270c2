import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger';

/** A logger whose lines a test can read back. */
export function capturedLogger(level = 'info'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(line);
      done();
    },
  });
  return { log: createLogger({ level, destination: sink }), lines };
}
