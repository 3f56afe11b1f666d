import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplicaIndex } from '../../src/cluster/facts/replica-index.js';

const NS = 'longhorn-system';
const replica = (volumeName: string, nodeID: string, failed = false) => ({ volumeName, nodeID, failed });

describe('ReplicaIndex', () => {
  it('indexes scheduled replicas by volume, sorted and distinct', () => {
    const index = new ReplicaIndex();
    index.replaceAll([
      [NS, 'r1', replica('vol-a', 'node-2')],
      [NS, 'r2', replica('vol-a', 'node-1')],
      [NS, 'r3', replica('vol-a', '')],
      [NS, 'r4', replica('vol-b', 'node-3')],
    ]);
    expect(index.nodesOf('vol-a')).toEqual(['node-1', 'node-2']);
    expect(index.nodesOf('vol-b')).toEqual(['node-3']);
    expect(index.nodesOf('vol-c')).toEqual([]);
    expect(index.size).toBe(4);
    expect(index.volumeCount).toBe(2);
  });

  it('moves a replica from node A to node B on update', () => {
    const index = new ReplicaIndex();
    index.set(NS, 'r1', replica('vol', 'node-a'));
    index.set(NS, 'r2', replica('vol', 'node-c'));
    index.set(NS, 'r1', replica('vol', 'node-b'));
    expect(index.nodesOf('vol')).toEqual(['node-b', 'node-c']);
  });

  it('leaves out a failed replica (failedAt set) and takes it back once Longhorn rebuilds it', () => {
    const index = new ReplicaIndex();
    index.set(NS, 'r1', replica('vol', 'node-a'));
    index.set(NS, 'r2', replica('vol', 'node-b', true));
    expect(index.nodesOf('vol')).toEqual(['node-a']);
    index.set(NS, 'r1', replica('vol', 'node-a', true));
    expect(index.nodesOf('vol')).toEqual([]);
    index.set(NS, 'r2', replica('vol', 'node-b'));
    expect(index.nodesOf('vol')).toEqual(['node-b']);
    index.delete(NS, 'r1');
    expect(index.nodesOf('vol')).toEqual(['node-b']);
  });

  it('indexes a replica once it is scheduled, and forgets it when it is unscheduled again', () => {
    const index = new ReplicaIndex();
    index.set(NS, 'r1', replica('vol', ''));
    expect(index.nodesOf('vol')).toEqual([]);
    index.set(NS, 'r1', replica('vol', 'node-a'));
    expect(index.nodesOf('vol')).toEqual(['node-a']);
    index.set(NS, 'r1', replica('vol', ''));
    expect(index.nodesOf('vol')).toEqual([]);
    expect(index.volumeCount).toBe(0);
  });

  it('removes a deleted replica; two replicas on one node count twice', () => {
    const index = new ReplicaIndex();
    index.set(NS, 'r1', replica('vol', 'node-a'));
    index.set(NS, 'r2', replica('vol', 'node-a'));
    index.set(NS, 'r3', replica('vol', 'node-b'));
    expect(index.nodesOf('vol')).toEqual(['node-a', 'node-b']);
    index.delete(NS, 'r1');
    expect(index.nodesOf('vol')).toEqual(['node-a', 'node-b']);
    index.delete(NS, 'r2');
    expect(index.nodesOf('vol')).toEqual(['node-b']);
    index.delete(NS, 'r2');
    index.delete(NS, 'never-there');
    index.delete(NS, 'r3');
    expect(index.nodesOf('vol')).toEqual([]);
    expect(index.size).toBe(0);
  });

  it('a replica moving to another volume leaves the old one', () => {
    const index = new ReplicaIndex();
    index.set(NS, 'r1', replica('vol-a', 'node-a'));
    index.set(NS, 'r1', replica('vol-b', 'node-a'));
    expect(index.nodesOf('vol-a')).toEqual([]);
    expect(index.nodesOf('vol-b')).toEqual(['node-a']);
  });

  it('hands out snapshots: a later change does not alter an array already returned', () => {
    const index = new ReplicaIndex();
    index.set(NS, 'r1', replica('vol', 'node-a'));
    const before = index.nodesOf('vol');
    index.set(NS, 'r2', replica('vol', 'node-b'));
    expect(before).toEqual(['node-a']);
    expect(Object.isFrozen(before)).toBe(true);
  });

  it('clear() forgets everything', () => {
    const index = new ReplicaIndex();
    index.set(NS, 'r1', replica('vol', 'node-a'));
    index.clear();
    expect(index.size).toBe(0);
    expect(index.nodesOf('vol')).toEqual([]);
  });

  it('after any sequence of events equals an index rebuilt from the final replicas', () => {
    const names = fc.constantFrom('r1', 'r2', 'r3', 'r4', 'r5');
    const event = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), name: names, volume: fc.constantFrom('v1', 'v2'), node: fc.constantFrom('', 'n1', 'n2', 'n3'), failed: fc.boolean() }),
      fc.record({ kind: fc.constant('delete' as const), name: names }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        const incremental = new ReplicaIndex();
        const truth = new Map<string, ReturnType<typeof replica>>();
        for (const e of events) {
          if (e.kind === 'set') {
            incremental.set(NS, e.name, replica(e.volume, e.node, e.failed));
            truth.set(e.name, replica(e.volume, e.node, e.failed));
          } else {
            incremental.delete(NS, e.name);
            truth.delete(e.name);
          }
        }
        const rebuilt = new ReplicaIndex();
        rebuilt.replaceAll([...truth].map(([name, fact]) => [NS, name, fact] as const));
        for (const volume of ['v1', 'v2']) expect(incremental.nodesOf(volume)).toEqual(rebuilt.nodesOf(volume));
        expect(incremental.size).toBe(truth.size);
      }),
    );
  });
});
