import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchedLineWriter, type BatchedLineWriterOptions } from '../../src/logging/batched-line-writer.js';
import { reopenNonBlocking } from '../../src/logging/reopen-non-blocking.js';
import { namedPipe } from '../support/stdout-pipe.js';

const dirs: string[] = [];
const fds: number[] = [];
afterEach(() => {
  for (const fd of fds.splice(0)) closeSync(fd);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsw-log-'));
  dirs.push(dir);
  return dir;
}

/** A named pipe (test/support/stdout-pipe.ts) whose ends are closed after the test. */
function fifo(): { readEnd: number; writeEnd: number } {
  const ends = namedPipe();
  fds.push(ends.readEnd, ends.writeEnd);
  return ends;
}

/** Everything readable from a non-blocking `fd` right now. */
function readAvailable(fd: number): string {
  const chunk = Buffer.alloc(1 << 16);
  let text = '';
  for (;;) {
    try {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) return text;
      text += chunk.toString('utf8', 0, read);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return text;
      throw error;
    }
  }
}

const readers: NodeJS.Timeout[] = [];
afterEach(() => {
  for (const reader of readers.splice(0)) clearInterval(reader);
});

type Mode = 'thread pool' | 'inline';

/**
 * A writer and a way to read what it wrote. `thread pool`: into a fresh file, with fs.write. `inline`: into a pipe
 * reopened non-blocking (as the server does with its stdout), with a reader draining the pipe every millisecond.
 */
function writerFor(mode: Mode, options: Partial<BatchedLineWriterOptions> = {}) {
  const defaults = { batchBytes: 1024, flushIntervalMs: 60_000, maxPendingBytes: 1 << 20, ...options };
  if (mode === 'thread pool') {
    const path = join(tempDir(), 'out.log');
    const fd = openSync(path, 'w');
    fds.push(fd);
    return { writer: new BatchedLineWriter({ fd, ...defaults }), written: () => readFileSync(path, 'utf8') };
  }
  const { readEnd, writeEnd } = fifo();
  const fd = reopenNonBlocking(writeEnd);
  if (fd === undefined) throw new Error('a FIFO must be reopenable non-blocking');
  fds.push(fd);
  let text = '';
  readers.push(setInterval(() => (text += readAvailable(readEnd)), 1));
  return {
    writer: new BatchedLineWriter({ fd, inline: true, ...defaults }),
    written: () => (text += readAvailable(readEnd)),
  };
}

const flushed = (writer: BatchedLineWriter) => new Promise<void>((resolve) => writer.flush(resolve));

describe.each<Mode>(['thread pool', 'inline'])('BatchedLineWriter, %s', (mode) => {
  it('writes every line whole and in order, multi-byte text included', async () => {
    const { writer, written } = writerFor(mode, { batchBytes: 300 });
    const lines = Array.from({ length: 2_000 }, (_, i) => `{"n":${i},"text":"é 😀 ${'x'.repeat(i % 97)}"}\n`);
    for (const line of lines) writer.write(line);
    await flushed(writer);
    expect(written()).toBe(lines.join(''));
  });

  it('holds lines until a batch is full, then writes without being asked', async () => {
    const { writer, written } = writerFor(mode, { batchBytes: 1024 });
    writer.write(`${'a'.repeat(99)}\n`);
    await sleep(50);
    expect(written()).toBe('');
    for (let i = 0; i < 10; i++) writer.write(`${'b'.repeat(99)}\n`);
    await sleep(50);
    expect(written().length).toBeGreaterThanOrEqual(1024);
    await flushed(writer);
    expect(written()).toHaveLength(1_100);
  });

  it('writes a partial batch after the flush interval', async () => {
    const { writer, written } = writerFor(mode, { batchBytes: 1 << 16, flushIntervalMs: 30 });
    writer.write('lone line\n');
    await sleep(200);
    expect(written()).toBe('lone line\n');
  });

  it('flushSync writes what is queued (process exit)', () => {
    const { writer, written } = writerFor(mode, { batchBytes: 1 << 16 });
    writer.write('one\n');
    writer.write('two\n');
    writer.flushSync();
    expect(written()).toBe('one\ntwo\n');
  });

  it('calls flush callbacks only once their lines are written, and at once when nothing is queued', async () => {
    const { writer, written } = writerFor(mode, { batchBytes: 1 << 16 });
    await flushed(writer);
    writer.write('queued\n');
    let seen = '';
    await new Promise<void>((resolve) => writer.flush(() => {
      seen = written();
      resolve();
    }));
    expect(seen).toBe('queued\n');
  });

  it('never blocks on a stalled pipe: keeps up to maxPendingBytes, drops and counts the rest, says so when it moves', async () => {
    const { readEnd, writeEnd } = fifo();
    const fd = mode === 'inline' ? reopenNonBlocking(writeEnd) : writeEnd;
    if (fd === undefined) throw new Error('a FIFO must be reopenable non-blocking');
    if (fd !== writeEnd) fds.push(fd);
    const writer = new BatchedLineWriter({ fd, inline: mode === 'inline', batchBytes: 4096, flushIntervalMs: 60_000, maxPendingBytes: 256 * 1024 });
    const line = `${JSON.stringify({ msg: 'x'.repeat(1000) })}\n`;

    // Nobody reads: the pipe (64 KiB on Linux) fills; the write in flight waits in the thread pool, or inline
    // writes get EAGAIN and wait for a retry; lines pile up.
    const started = performance.now();
    for (let i = 0; i < 2_000; i++) writer.write(line);
    expect(performance.now() - started).toBeLessThan(1_000); // the event loop was never held up
    await sleep(100);

    // Drain the pipe until everything, including the note about dropped lines, has arrived.
    let finished = false;
    writer.flush(() => (finished = true));
    let text = '';
    while (!finished || text.length === 0) {
      text += readAvailable(readEnd);
      await sleep(1);
    }
    text += readAvailable(readEnd);
    const lines = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    const kept = lines.filter((l) => l.msg === 'x'.repeat(1000)).length;
    const note = lines.find((l) => typeof l.dropped === 'number');
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(2_000);
    expect(note?.dropped).toBe(2_000 - kept);
  });
});

describe('reopenNonBlocking', () => {
  it('gives a pipe a second, non-blocking descriptor: a full pipe answers EAGAIN instead of waiting', () => {
    const { readEnd, writeEnd } = fifo();
    const fd = reopenNonBlocking(writeEnd);
    expect(fd).toBeDefined();
    fds.push(fd!);
    expect(fd).not.toBe(writeEnd);
    const block = Buffer.alloc(4096, 'y');
    let accepted = 0;
    let refused: string | undefined;
    while (refused === undefined && accepted < 1 << 24) {
      try {
        accepted += writeSync(fd!, block);
      } catch (error) {
        refused = (error as NodeJS.ErrnoException).code;
      }
    }
    expect(refused).toBe('EAGAIN');
    expect(accepted).toBeGreaterThanOrEqual(4096); // it is the same pipe: what was accepted can be read back
    expect(readAvailable(readEnd)).toHaveLength(accepted);
  });

  it('leaves anything that is not a pipe alone', () => {
    const fd = openSync(join(tempDir(), 'out.log'), 'w');
    fds.push(fd);
    expect(reopenNonBlocking(fd)).toBeUndefined();
    expect(reopenNonBlocking(987_654)).toBeUndefined(); // not open at all
  });
});
