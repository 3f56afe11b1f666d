import { readFileSync } from 'node:fs';

/**
 * The memory the kernel charges this process for, in bytes, read the way the OOM killer counts it: the usage of
 * the memory cgroup the process is in (v1 `memory.usage_in_bytes`, v2 `memory.current`), else the process's
 * anonymous resident pages (/proc/self/statm: resident minus file-backed). Not `process.memoryUsage().rss`: it
 * counts the pages of the ~100 MB node binary mapped from the page cache, which the container's limit does not.
 * Each call reads one small file (a few microseconds): callers keep it off the common path.
 */
export function chargedMemoryReader(): () => number {
  const usageFile = cgroupUsageFile();
  if (usageFile !== undefined) return () => Number(readFileSync(usageFile, 'utf8'));
  return anonymousResidentBytes;
}

function cgroupUsageFile(): string | undefined {
  let membership: string;
  try {
    membership = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return undefined;
  }
  const candidates: string[] = [];
  for (const line of membership.split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined) continue;
    if (controllers?.split(',').includes('memory')) candidates.push(`/sys/fs/cgroup/memory${path === '/' ? '' : path}/memory.usage_in_bytes`);
    if (controllers === '') candidates.push(`/sys/fs/cgroup${path === '/' ? '' : path}/memory.current`);
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

function anonymousResidentBytes(): number {
  const [, resident = 0, shared = 0] = readFileSync('/proc/self/statm', 'utf8').split(' ').map(Number);
  return (resident - shared) * PAGE_BYTES;
}
