import pino, { type Logger } from 'pino';

/** A pino logger writing JSON lines into memory, so tests assert on what an operator would read. */
export interface CapturedLogs {
  readonly logger: Logger;
  /** Every line as written. */
  readonly raw: string[];
  /** Every line parsed. */
  readonly lines: Array<Record<string, unknown>>;
}

/** A debug-level logger whose output is kept in memory. */
export function captureLogs(): CapturedLogs {
  const raw: string[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  return { logger, raw, lines };
}

/** pino's numeric level for `warn`. */
export const WARN = 40;
