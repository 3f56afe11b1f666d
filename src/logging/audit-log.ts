import { pino, type Logger } from 'pino';
import type { ReviewRecord } from '../admission/answer-review.js';

const { chindingsSym, lsCacheSym, messageKeySym, needsMetadataGsym, streamSym, timeSym } = pino.symbols;

/** The message of every audit line (what log queries select on). */
export const AUDIT_MESSAGE = 'admission review';

/** A destination pino writes to: a SonicBoom, a stream, or anything with write(). */
interface LineSink {
  write(line: string): unknown;
}

/** What the direct path needs from a pino logger, read once: all documented in `pino.symbols` for plugin authors. */
interface LinePieces {
  /** `{"level":30`, as pino caches it per level. */
  readonly levelPrefix: string;
  /** pino's time function: `,"time":1700000000000` by default. */
  readonly time: () => string;
  /** The logger's serialised bindings: `,"service":"…"` (a child logger's included). */
  readonly bindings: string;
  readonly sink: LineSink;
}

function internal(logger: Logger, symbol: symbol): unknown {
  return (logger as unknown as Record<symbol, unknown>)[symbol];
}

/** The pieces of `logger`'s info line, or undefined when the logger is not one this writer can bypass safely. */
function linePieces(logger: Logger): LinePieces | undefined {
  const levelCache = internal(logger, lsCacheSym) as Record<number, unknown> | undefined;
  const levelPrefix = levelCache?.[logger.levels.values.info ?? 30];
  const time = internal(logger, timeSym);
  const bindings = internal(logger, chindingsSym);
  const sink = internal(logger, streamSym) as (Partial<LineSink> & Record<symbol, unknown>) | undefined;
  if (typeof levelPrefix !== 'string' || typeof time !== 'function' || typeof bindings !== 'string') return undefined;
  if (typeof sink?.write !== 'function' || sink[needsMetadataGsym] === true) return undefined;
  if (internal(logger, messageKeySym) !== 'msg') return undefined;
  return { levelPrefix, time: time as () => string, bindings, sink: sink as LineSink };
}

/**
 * Writes the one audit line per review: the {@link ReviewRecord} as the line's fields, in pino's line format
 * (`{"level":30,"time":…,<bindings>,<record fields>,"msg":"admission review"}`), through the logger's own
 * destination, with its level, time function and bindings. The same line `logger.info(record, AUDIT_MESSAGE)`
 * writes (test/logging/audit-log.test.ts compares them byte for byte), at a fraction of the cost: pino
 * serialises an object key by key (escaping each key, one JSON.stringify per non-scalar value: ~4.4 µs for a
 * record), where one JSON.stringify of the whole record takes ~0.7 µs on V8's fast path for plain objects. On a
 * one-core pod that difference was a tenth of a review's cost (bench/README.md, "Findings").
 *
 * Only the audit line takes this path; every other line (errors included) goes through pino as usual. Loggers whose
 * destination needs per-line metadata (pino.multistream) are written through pino too.
 */
export class AuditLog {
  private readonly pieces: LinePieces | undefined;

  constructor(private readonly logger: Logger) {
    this.pieces = linePieces(logger);
  }

  /** Logs `record` at info level (nothing when the level is above info). */
  write(record: ReviewRecord): void {
    const logger = this.logger;
    if (!logger.isLevelEnabled('info')) return;
    const pieces = this.pieces;
    if (!pieces) {
      logger.info(record, AUDIT_MESSAGE);
      return;
    }
    const fields = JSON.stringify(record);
    // `{"uid":…}` -> `"uid":…`: a record always has fields, so the slice is never empty.
    pieces.sink.write(`${pieces.levelPrefix}${pieces.time()}${pieces.bindings},${fields.slice(1, -1)},"msg":"${AUDIT_MESSAGE}"}\n`);
  }
}
