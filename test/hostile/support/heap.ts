import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// The test process is not started with --expose-gc; V8 lets a running process expose it (a fresh context sees it).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap in use after full garbage collections, in MiB: what the process keeps, not what it has not freed yet. */
export function retainedHeapMiB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / (1024 * 1024);
}
