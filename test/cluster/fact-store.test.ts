import { describe, expect, it } from 'vitest';
import { KeyedFactStore, NamespacedFactStore } from '../../src/cluster/list-watch/fact-store.js';

describe('NamespacedFactStore', () => {
  it('keeps facts per namespace and name, and counts them', () => {
    const store = new NamespacedFactStore<number>();
    store.replaceAll([
      ['a', 'x', 1],
      ['b', 'x', 2],
      ['a', 'y', 3],
      ['a', 'y', 4],
    ]);
    expect(store.size).toBe(3);
    expect([store.get('a', 'x'), store.get('b', 'x'), store.get('a', 'y'), store.get('c', 'x')]).toEqual([1, 2, 4, undefined]);
    store.set('c', 'x', 5);
    store.set('a', 'x', 6);
    expect(store.size).toBe(4);
    store.delete('b', 'x');
    store.delete('b', 'x');
    store.delete('zzz', 'x');
    expect(store.size).toBe(3);
    expect(store.get('b', 'x')).toBeUndefined();
    store.clear();
    expect(store.size).toBe(0);
    expect(store.get('a', 'x')).toBeUndefined();
  });
});

describe('KeyedFactStore', () => {
  it('keys by name alone', () => {
    const store = new KeyedFactStore<string>();
    store.replaceAll([['', 'node-a', 'A']]);
    store.set('', 'node-b', 'B');
    store.delete('', 'node-a');
    expect([store.get('node-a'), store.get('node-b'), store.size]).toEqual([undefined, 'B', 1]);
  });
});
