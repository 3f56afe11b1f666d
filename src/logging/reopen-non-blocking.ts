import { closeSync, constants, fstatSync, openSync } from 'node:fs';

/**
 * A second descriptor for the pipe behind `fd`, opened non-blocking, or undefined when `fd` is not a pipe or
 * cannot be reopened (no /proc, a socket, a terminal, a file: those keep the thread-pool writes).
 *
 * Why reopen instead of setting O_NONBLOCK on `fd`: Node offers no fcntl, and the flag lives on the open file
 * description that `fd` shares with whoever started the process. Opening `/proc/self/fd/<fd>` of a pipe gives this
 * process its own description of the same pipe (proc(5), /proc/pid/fd), so only its writes stop waiting: a full pipe
 * answers EAGAIN. Container runtimes hand a workload's stdout over as a pipe or FIFO (containerd, CRI-O), so in a
 * pod this is the case that matters.
 */
export function reopenNonBlocking(fd: number): number | undefined {
  let reopened: number | undefined;
  try {
    const pipe = fstatSync(fd);
    if (!pipe.isFIFO()) return undefined;
    reopened = openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK);
    // Only when it is the very same pipe (a /proc that is not procfs could hand back anything).
    const same = fstatSync(reopened);
    if (same.isFIFO() && same.ino === pipe.ino && same.dev === pipe.dev) return reopened;
  } catch {
    // not reopenable here: the caller keeps `fd`
  }
  if (reopened !== undefined) closeSync(reopened);
  return undefined;
}
