import { execFileSync } from 'node:child_process';
import { constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A named pipe for a server's stdout, as containerd hands a container its stdout (a FIFO; CRI-O's conmon, a pipe).
 * Not `stdio: 'pipe'`: Node gives a child a socket pair there, and the server writes a pipe differently
 * (src/logging/reopen-non-blocking.ts). Returns the write end, for the child's stdio (close it here once the child
 * is spawned: the stream ends when the child's copy closes), and a stream reading the pipe.
 *
 * Plain erasable TypeScript with no relative imports: bench/processes.js imports it as it is (Node strips the types).
 */
export function stdoutPipe(): { writeEnd: number; stream: Socket } {
  const dir = mkdtempSync(join(tmpdir(), 'wsw-stdout-'));
  const path = join(dir, 'stdout');
  execFileSync('mkfifo', [path]);
  const readEnd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK); // does not wait for a writer
  const writeEnd = openSync(path, constants.O_WRONLY);
  rmSync(dir, { recursive: true }); // both ends are open: the name is no longer needed
  return { writeEnd, stream: new Socket({ fd: readEnd, readable: true, writable: false }) };
}
