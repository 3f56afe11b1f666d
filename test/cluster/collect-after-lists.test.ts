import { afterEach, describe, expect, it, vi } from 'vitest';
import { collectAfterLargeLists } from '../../src/cluster/list-watch/collect-after-lists.js';
import { fullGc } from '../../src/runtime/full-gc.js';
import { memoryLogger } from './test-logger.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('collectAfterLargeLists', () => {
  it('collects once, a second after the last large list; small lists (nodes) do not count', () => {
    vi.useFakeTimers();
    const log = memoryLogger();
    const collect = vi.fn(() => true);
    const onListed = collectAfterLargeLists(log.logger, collect);
    onListed(10_000); // PVCs
    vi.advanceTimersByTime(500);
    onListed(10_000); // PVs
    onListed(100); // nodes: not worth a collection, and does not postpone the pending one
    vi.advanceTimersByTime(500);
    expect(collect).not.toHaveBeenCalled();
    onListed(30_000); // replicas
    vi.advanceTimersByTime(999);
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(collect).toHaveBeenCalledTimes(1);
    expect(log.lines.some((line) => line.includes('collected the memory of large cache lists'))).toBe(true);

    onListed(50); // a small relist later: nothing
    vi.advanceTimersByTime(5_000);
    expect(collect).toHaveBeenCalledTimes(1);
    onListed(30_000); // a large relist: once more
    vi.advanceTimersByTime(1_000);
    expect(collect).toHaveBeenCalledTimes(2);
  });

  it('logs nothing when no collection could be made', () => {
    vi.useFakeTimers();
    const log = memoryLogger();
    collectAfterLargeLists(log.logger, () => false)(10_000);
    vi.advanceTimersByTime(2_000);
    expect(log.lines).toEqual([]);
  });
});

describe('fullGc', () => {
  it('frees unreachable memory now, without --expose-gc on the command line', () => {
    let garbage: unknown[] | undefined = Array.from({ length: 300_000 }, (_, i) => ({ i, text: `object ${i}` }));
    const withGarbage = process.memoryUsage().heapUsed;
    expect(garbage.length).toBe(300_000);
    garbage = undefined;
    expect(fullGc()).toBe(true);
    expect(process.memoryUsage().heapUsed).toBeLessThan(withGarbage - 10 * 1024 * 1024);
  });
});
