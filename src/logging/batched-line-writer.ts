// Hand-written, not pino.destination/sonic-boom: sonic-boom kept lines as strings (~1.6 µs a line more) and a blocking write lets a stalled stdout stop reviews (bench/README.md, "Logging is the largest cost").
import { write as fsWrite, writeSync } from 'node:fs';

/** How a {@link BatchedLineWriter} batches; see the class. */
export interface BatchedLineWriterOptions {
  /** The file descriptor written to (1: stdout). */
  readonly fd: number;
  /** A batch is handed to the kernel once it holds this many bytes. */
  readonly batchBytes: number;
  /** A partial batch is written after at most this long, so a lone line shows up promptly. */
  readonly flushIntervalMs: number;
  /**
   * Bytes that may wait while the descriptor does not take them (a stalled log pipe; counted in UTF-16 units,
   * close enough for a bound); beyond that lines are dropped and counted, and a line saying how many is written
   * once the pipe moves again.
   */
  readonly maxPendingBytes: number;
  /**
   * `fd` is non-blocking (see reopen-non-blocking.ts): batches are written from the event loop with one
   * `writeSync` each, which never waits (a full pipe answers EAGAIN and the batch is tried again shortly), instead
   * of through libuv's thread pool. On one core, handing every batch to a worker thread and back cost 2-3 % of the
   * webhook's throughput (bench/README.md, "Findings").
   */
  readonly inline?: boolean;
}

/**
 * A pino destination for the server's log: lines are encoded into a Buffer as they come and written in batches of
 * `batchBytes`, one write in flight at a time, either straight from the event loop to a non-blocking descriptor
 * (`inline`) or by libuv's thread pool (`fs.write`), so a slow or stalled log pipe never blocks the event loop.
 * Per line that is one UTF-8 encode into the batch: the line string is garbage at once, instead of waiting in a
 * string buffer (sonic-boom's `minLength` mode costs ~1.6 µs more per audit line here, and keeps the strings alive
 * across scavenges: bench/README.md, "Findings").
 *
 * pino calls `write(line)` for every line and `flush(callback)` from `logger.flush()`; `flushSync()` is for exit.
 */
export class BatchedLineWriter {
  private batch: Buffer;
  /** The buffer of the last finished write, reused for the next batch (two buffers take turns). */
  private spare: Buffer | undefined;
  private length = 0;
  /** Whether a batch is being written: with fs.write, or waiting out a full pipe (its buffer is not to be touched). */
  private writing = false;
  private dropped = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: BatchedLineWriterOptions) {
    this.batch = Buffer.allocUnsafe(options.batchBytes * 2);
    this.timer = setInterval(() => { this.startWrite(); }, options.flushIntervalMs);
    this.timer.unref();
  }

  /** Queues one line (pino passes it with its newline). Returns true, as a stream that never asks to wait. */
  write(line: string): boolean {
    if (this.length + line.length > this.options.maxPendingBytes) {
      this.dropped++;
      return true;
    }
    this.append(line);
    if (this.length >= this.options.batchBytes) this.startWrite();
    return true;
  }

  /** Calls `callback` once every line queued so far has been written (or could not be). */
  flush(callback: () => void = () => {}): void {
    if (this.length === 0 && !this.writing) {
      callback();
      return;
    }
    this.waiting.push(callback);
    this.startWrite();
  }

  /**
   * Writes what is queued synchronously (process exit); a write still in flight finishes on its own. On an `inline`
   * descriptor whose pipe is full this writes what the pipe takes and drops the rest: exit does not wait for a
   * stalled log collector (the graceful path, `flush`, has already waited up to its timeout).
   */
  flushSync(): void {
    clearInterval(this.timer);
    if (this.writing) return; // its buffer is in use; whatever follows it is lost only on a hard exit
    this.noteDropped();
    let offset = 0;
    try {
      while (offset < this.length) offset += writeSync(this.options.fd, this.batch, offset, this.length - offset);
    } catch {
      // exiting: nowhere left to report a failed log write
    }
    this.length = 0;
  }

  /** Encodes `text` at the end of the batch, growing it when needed. */
  private append(text: string): void {
    // Room for the worst case (3 UTF-8 bytes per UTF-16 unit) instead of measuring the text first: one pass, not two.
    const needed = this.length + text.length * 3;
    if (needed > this.batch.length) {
      const bigger = Buffer.allocUnsafe(Math.max(needed, this.batch.length * 2));
      this.batch.copy(bigger, 0, 0, this.length);
      this.batch = bigger;
    }
    this.length += this.batch.write(text, this.length);
  }

  /** After a stall: one line (JSON, pino-like) saying how many lines were dropped. */
  private noteDropped(): void {
    if (this.dropped === 0) return;
    this.append(`{"level":40,"time":${Date.now()},"msg":"log lines dropped: the log pipe did not take them","dropped":${this.dropped}}\n`);
    this.dropped = 0;
  }

  private startWrite(): void {
    if (this.writing) return;
    this.noteDropped();
    if (this.length === 0) {
      this.settle();
      return;
    }
    // The filled buffer goes to the kernel; new lines go into the other one.
    const full = this.batch;
    const length = this.length;
    this.batch = this.spare ?? Buffer.allocUnsafe(this.options.batchBytes * 2);
    this.spare = undefined;
    this.length = 0;
    this.writing = true;
    this.writeFrom(full, 0, length);
  }

  private writeFrom(buffer: Buffer, offset: number, end: number): void {
    if (this.options.inline) {
      let at = offset;
      try {
        while (at < end) at += writeSync(this.options.fd, buffer, at, end - at);
      } catch (error) {
        if (!this.retryLater(error, buffer, at, end)) at = end;
      }
      if (at === end) this.written(buffer);
      return;
    }
    fsWrite(this.options.fd, buffer, offset, end - offset, null, (error, written) => {
      if (error && this.retryLater(error, buffer, offset, end)) return;
      const next = error ? end : offset + written;
      if (next < end) this.writeFrom(buffer, next, end);
      else this.written(buffer);
    });
  }

  /** EAGAIN: the pipe is full and non-blocking; the rest is tried again shortly. Any other error drops the batch. */
  private retryLater(error: unknown, buffer: Buffer, offset: number, end: number): boolean {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return false;
    setTimeout(() => { this.writeFrom(buffer, offset, end); }, 10).unref();
    return true;
  }

  /** A batch is out: its buffer takes the next turn, and whatever queued meanwhile goes next. */
  private written(buffer: Buffer): void {
    this.writing = false;
    if (buffer.length === this.options.batchBytes * 2) this.spare = buffer; // a grown one is let go
    if (this.length >= this.options.batchBytes || this.waiting.length > 0) this.startWrite();
  }

  private settle(): void {
    for (const callback of this.waiting.splice(0)) callback();
  }
}
