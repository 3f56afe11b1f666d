// What else the machine was doing: per-core busy time from /proc/stat, to tell a clean run from a noisy one.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** Busy and total jiffies of each core, from /proc/stat. */
export function coreTimes() {
  const times = {};
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const match = /^cpu(\d+) (.*)$/.exec(line);
    if (!match) continue;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = match[2].trim().split(/\s+/).map(Number);
    const busy = user + nice + system + irq + softirq + steal;
    times[match[1]] = { busy, total: busy + idle + iowait };
  }
  return times;
}

/** Fraction of core `core` that was busy between two coreTimes() readings. */
export function busyFraction(before, after, core) {
  const b = before[core];
  const a = after[core];
  if (!a || !b || a.total === b.total) return 0;
  return (a.busy - b.busy) / (a.total - b.total);
}

/** The machine, for the results file. */
export function machineDescription() {
  const [one, five] = loadavg();
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    loadAverage1m: Math.round(one * 100) / 100,
    loadAverage5m: Math.round(five * 100) / 100,
  };
}
