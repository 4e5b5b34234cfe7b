import { Writable } from 'node:stream';
import { createLogger } from '@atrium/service-runtime';
import type { Logger } from '@atrium/service-runtime';

/** A logger at `info` whose JSON lines a test reads back, parsed, in `lines`. */
export function capturedLog<Line extends Record<string, unknown> = Record<string, unknown>>(app: string): { log: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const log = createLogger(
    app,
    'info',
    'json',
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Line);
        done();
      },
    }),
  );
  return { log, lines };
}
