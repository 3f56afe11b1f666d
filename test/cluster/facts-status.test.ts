import { describe, expect, it } from 'vitest';
import { composeStatus, MAX_REASON_LENGTH, shortenReason } from '../../src/cluster/facts/facts-status.js';

const cache = (label: string, synced: boolean, problem?: string) => ({ label, synced, problem });

describe('composeStatus', () => {
  it('synced when every cache is synced and healthy', () => {
    expect(composeStatus([cache('PVCs', true), cache('nodes', true)])).toEqual({ state: 'synced' });
  });

  it('syncing while a first list runs, naming the caches waited for', () => {
    expect(composeStatus([cache('PVCs', true), cache('nodes', false), cache('longhorn replicas', false)])).toEqual({
      state: 'syncing',
      reason: 'waiting for the first list of nodes, longhorn replicas',
    });
  });

  it('degraded beats syncing; the first problem is the reason, the others are counted', () => {
    const status = composeStatus([
      cache('PVCs', false),
      cache('nodes', true, 'nodes watch failed: ECONNRESET'),
      cache('longhorn replicas', false, 'longhorn replicas unavailable: CRD replicas.longhorn.io not found'),
    ]);
    expect(status.state).toBe('degraded');
    expect(status.reason).toBe('nodes watch failed: ECONNRESET (+1 more)');
  });

  it('keeps reasons within the warning budget', () => {
    const long = `longhorn replicas list failed: ${'x'.repeat(200)}`;
    const one = composeStatus([cache('a', true, long)]);
    const two = composeStatus([cache('a', true, long), cache('b', true, long)]);
    expect(one.reason!.length).toBe(MAX_REASON_LENGTH);
    expect(two.reason!.length).toBe(MAX_REASON_LENGTH);
    expect(two.reason).toMatch(/\.\.\. \(\+1 more\)$/);
    expect(shortenReason('short')).toBe('short');
  });
});
