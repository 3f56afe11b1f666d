import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chargedMemoryReader, type MemoryFiles } from '../../src/runtime/memory-usage.js';

/** A directory standing in for /proc/self and /sys/fs/cgroup, laid out as the kernel lays them out. */
function kernelFiles(membership: string | undefined, usage: Record<string, string>, statm = '50000 30000 20000 100 0 9000 0\n'): MemoryFiles {
  const root = mkdtempSync(join(tmpdir(), 'wsw-memory-'));
  const files = { membership: join(root, 'cgroup'), cgroupRoot: join(root, 'sys'), statm: join(root, 'statm') };
  if (membership !== undefined) writeFileSync(files.membership, membership);
  writeFileSync(files.statm, statm);
  for (const [path, value] of Object.entries(usage)) {
    mkdirSync(join(files.cgroupRoot, path, '..'), { recursive: true });
    writeFileSync(join(files.cgroupRoot, path), value);
  }
  return files;
}

describe('chargedMemoryReader', () => {
  it('cgroup v1: the usage of the memory controller\'s own cgroup, read again at every call', () => {
    const files = kernelFiles('12:pids:/kubepods/pod1/abc\n4:cpu,cpuacct:/kubepods/pod1/abc\n3:memory:/kubepods/pod1/abc\n', {
      'memory/kubepods/pod1/abc/memory.usage_in_bytes': '104857600\n',
      'memory/memory.usage_in_bytes': '999999999999\n',
    });
    const read = chargedMemoryReader(files);
    expect(read()).toBe(104_857_600);
    writeFileSync(join(files.cgroupRoot, 'memory/kubepods/pod1/abc/memory.usage_in_bytes'), '209715200\n');
    expect(read()).toBe(209_715_200);
  });

  it('cgroup v2 (a container with its own cgroup namespace sees "/"): memory.current at the root', () => {
    const files = kernelFiles('0::/\n', { 'memory.current': '73400320\n' });
    expect(chargedMemoryReader(files)()).toBe(73_400_320);
  });

  it('cgroup v2 without a namespace: memory.current of the process\'s path', () => {
    const files = kernelFiles('0::/system.slice/webhook.service\n', {
      'system.slice/webhook.service/memory.current': '52428800\n', 'memory.current': '999999999999\n',
    });
    expect(chargedMemoryReader(files)()).toBe(52_428_800);
  });

  it('no readable cgroup usage: the anonymous resident pages (resident minus file-backed), not the whole resident set', () => {
    const files = kernelFiles('3:memory:/gone\n', {}, '50000 30000 20000 100 0 9000 0\n');
    expect(chargedMemoryReader(files)()).toBe((30_000 - 20_000) * 4096);
    expect(chargedMemoryReader(kernelFiles(undefined, {}))()).toBe((30_000 - 20_000) * 4096);
  });
});
