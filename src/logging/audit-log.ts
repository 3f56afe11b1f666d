import type { Logger } from 'pino';
import type { ReviewRecord } from '../admission/review-record.js';
import { LOG_SERVICE } from './log-format.js';

/** The message of every audit line (what log queries select on). */
export const AUDIT_MESSAGE = 'admission review';

/** Where lines go: the destination the server's logger writes to, created and owned by the server. */
export interface LineSink {
  write(line: string): unknown;
}

/** The audit line's constant parts in the format of log-format.ts, escaped once. */
const PREFIX = '{"level":"info","time":"';
const BINDINGS = `",${JSON.stringify('service')}:${JSON.stringify(LOG_SERVICE)},`;
const SUFFIX = `,"msg":${JSON.stringify(AUDIT_MESSAGE)}}\n`;

/** ISO-8601 now, as pino.stdTimeFunctions.isoTime writes it. */
const isoNow = (): string => new Date().toISOString();

/**
 * Writes the one audit line per review: the {@link ReviewRecord} as the line's fields, in the server's line format
 * (log-format.ts). Given the logger's own destination, it writes the line there pre-serialised, one JSON.stringify
 * of the record, instead of pino's key-by-key serialisation (bench/README.md, "Findings": the audit line was the
 * largest single cost of a review); the same bytes pino writes with `loggerOptions` (test/logging/audit-log.test.ts),
 * and in order with pino's other lines, since both write synchronously to that destination. Without one, the line
 * goes through `logger.info`.
 */
export class AuditLog {
  constructor(
    private readonly logger: Logger,
    private readonly destination?: LineSink,
    private readonly now: () => string = isoNow,
  ) {}

  /** Logs `record` at info level (nothing when the logger's level is above info). */
  write(record: ReviewRecord): void {
    if (!this.logger.isLevelEnabled('info')) return;
    if (this.destination === undefined) {
      this.logger.info(record, AUDIT_MESSAGE);
      return;
    }
    const fields = JSON.stringify(record);
    // `{"uid":…}` -> `"uid":…`: a record always has fields, so the slice is never empty.
    this.destination.write(`${PREFIX}${this.now()}${BINDINGS}${fields.slice(1, -1)}${SUFFIX}`);
  }
}
