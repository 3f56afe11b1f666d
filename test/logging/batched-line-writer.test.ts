import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchedLineWriter, type BatchedLineWriterOptions } from '../../src/logging/batched-line-writer.js';

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

/** A writer into a fresh file, and a way to read what reached the file. */
function fileWriter(options: Partial<BatchedLineWriterOptions> = {}) {
  const path = join(tempDir(), 'out.log');
  const fd = openSync(path, 'w');
  fds.push(fd);
  const writer = new BatchedLineWriter({ fd, batchBytes: 1024, flushIntervalMs: 60_000, maxPendingBytes: 1 << 20, ...options });
  return { writer, written: () => readFileSync(path, 'utf8') };
}

const flushed = (writer: BatchedLineWriter) => new Promise<void>((resolve) => writer.flush(resolve));

describe('BatchedLineWriter', () => {
  it('writes every line whole and in order, multi-byte text included', async () => {
    const { writer, written } = fileWriter({ batchBytes: 300 });
    const lines = Array.from({ length: 2_000 }, (_, i) => `{"n":${i},"text":"é 😀 ${'x'.repeat(i % 97)}"}\n`);
    for (const line of lines) writer.write(line);
    await flushed(writer);
    expect(written()).toBe(lines.join(''));
  });

  it('holds lines until a batch is full, then writes without being asked', async () => {
    const { writer, written } = fileWriter({ batchBytes: 1024 });
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
    const { writer, written } = fileWriter({ batchBytes: 1 << 16, flushIntervalMs: 30 });
    writer.write('lone line\n');
    await sleep(200);
    expect(written()).toBe('lone line\n');
  });

  it('flushSync writes what is queued (process exit)', () => {
    const { writer, written } = fileWriter({ batchBytes: 1 << 16 });
    writer.write('one\n');
    writer.write('two\n');
    writer.flushSync();
    expect(written()).toBe('one\ntwo\n');
  });

  it('calls flush callbacks only once their lines are written, and at once when nothing is queued', async () => {
    const { writer, written } = fileWriter({ batchBytes: 1 << 16 });
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
    const fifo = join(tempDir(), 'log.fifo');
    execFileSync('mkfifo', [fifo]);
    const readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    fds.push(readEnd);
    const writeEnd = openSync(fifo, constants.O_WRONLY);
    fds.push(writeEnd);
    const writer = new BatchedLineWriter({ fd: writeEnd, batchBytes: 4096, flushIntervalMs: 60_000, maxPendingBytes: 256 * 1024 });
    const line = `${JSON.stringify({ msg: 'x'.repeat(1000) })}\n`;

    // Nobody reads: the pipe (64 KiB on Linux) fills, the write in flight waits in the thread pool, lines pile up.
    const started = performance.now();
    for (let i = 0; i < 2_000; i++) writer.write(line);
    expect(performance.now() - started).toBeLessThan(1_000); // the event loop was never held up
    await sleep(100);

    // Drain the pipe until everything, including the note about dropped lines, has arrived.
    const chunk = Buffer.alloc(1 << 16);
    let text = '';
    const done = new Promise<void>((resolve) => writer.flush(resolve));
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished || text.length === 0) {
      try {
        const read = readSync(readEnd, chunk, 0, chunk.length, null);
        text += chunk.toString('utf8', 0, read);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      }
      await sleep(1);
    }
    for (;;) {
      try {
        const read = readSync(readEnd, chunk, 0, chunk.length, null);
        if (read === 0) break;
        text += chunk.toString('utf8', 0, read);
      } catch {
        break;
      }
    }
    const lines = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    const kept = lines.filter((l) => l.msg === 'x'.repeat(1000)).length;
    const note = lines.find((l) => typeof l.dropped === 'number');
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(2_000);
    expect(note?.dropped).toBe(2_000 - kept);
  });
});
