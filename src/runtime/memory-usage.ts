import { readFileSync } from 'node:fs';

/**
 * The memory the kernel charges this process for, in bytes, read the way the OOM killer counts it: the usage of
 * the memory cgroup the process is in (v1 `memory.usage_in_bytes`, v2 `memory.current`), else the process's
 * anonymous resident pages (/proc/self/statm: resident minus file-backed). Not `process.memoryUsage().rss`: it
 * counts the pages of the ~100 MB node binary mapped from the page cache, which the container's limit does not.
 * Each call reads one small file (a few microseconds): callers keep it off the common path.
 */
export function chargedMemoryReader(files: MemoryFiles = SYSTEM_FILES): () => number {
  const usageFile = cgroupUsageFile(files);
  if (usageFile !== undefined) return () => Number(readFileSync(usageFile, 'utf8'));
  return () => anonymousResidentBytes(files.statm);
}

/** Where the kernel's files are (the system's; tests give a directory of their own). */
export interface MemoryFiles {
  /** The process's cgroup membership (`/proc/self/cgroup`). */
  readonly membership: string;
  /** The cgroup filesystem's mount point (`/sys/fs/cgroup`). */
  readonly cgroupRoot: string;
  /** The process's page counts (`/proc/self/statm`). */
  readonly statm: string;
}

const SYSTEM_FILES: MemoryFiles = { membership: '/proc/self/cgroup', cgroupRoot: '/sys/fs/cgroup', statm: '/proc/self/statm' };

function cgroupUsageFile(files: MemoryFiles): string | undefined {
  let membership: string;
  try {
    membership = readFileSync(files.membership, 'utf8');
  } catch {
    return undefined;
  }
  const candidates: string[] = [];
  for (const line of membership.split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined) continue;
    const under = path === '/' ? '' : path;
    if (controllers?.split(',').includes('memory')) candidates.push(`${files.cgroupRoot}/memory${under}/memory.usage_in_bytes`);
    if (controllers === '') candidates.push(`${files.cgroupRoot}${under}/memory.current`);
  }
  return candidates.find((file) => {
    try {
      return Number.isFinite(Number(readFileSync(file, 'utf8')));
    } catch {
      return false;
    }
  });
}

const PAGE_BYTES = 4096;

function anonymousResidentBytes(statm: string): number {
  const [, resident = 0, shared = 0] = readFileSync(statm, 'utf8').split(' ').map(Number);
  return (resident - shared) * PAGE_BYTES;
}
