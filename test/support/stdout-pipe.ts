import { execFileSync } from 'node:child_process';
import { constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A named pipe with both ends open: the read end non-blocking (a read never waits; opening it does not wait for a
 * writer), the write end as a process's stdout would be, blocking. The name is removed at once: both ends are open.
 */
export function namedPipe(): { readEnd: number; writeEnd: number } {
  const dir = mkdtempSync(join(tmpdir(), 'wsw-pipe-'));
  const path = join(dir, 'pipe');
  execFileSync('mkfifo', [path]);
  const readEnd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeEnd = openSync(path, constants.O_WRONLY);
  rmSync(dir, { recursive: true });
  return { readEnd, writeEnd };
}

/**
 * A named pipe for a server's stdout, as containerd hands a container its stdout (a FIFO; CRI-O's conmon, a pipe).
 * Not `stdio: 'pipe'`: Node gives a child a socket pair there, and the server writes a pipe differently
 * (src/logging/reopen-non-blocking.ts). Returns the write end, for the child's stdio (close it here once the child
 * is spawned: the stream ends when the child's copy closes), and a stream reading the pipe.
 *
 * Plain erasable TypeScript with no relative imports: bench/processes.js imports it as it is (Node strips the types).
 */
export function stdoutPipe(): { writeEnd: number; stream: Socket } {
  const { readEnd, writeEnd } = namedPipe();
  return { writeEnd, stream: new Socket({ fd: readEnd, readable: true, writable: false }) };
}
