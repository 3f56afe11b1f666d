import fc from 'fast-check';
import fastJsonPatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.js';
import { buildFacts, factsPlan } from './generators/cluster-facts-arbitrary.js';
import { configArbitrary } from './generators/config-arbitrary.js';
import { holedObject } from './generators/review-arbitrary.js';
import { runs } from './support/runs.js';

const RUNS = runs(1000);
const kinds = fc.constantFrom('Pod', 'PersistentVolumeClaim');

describe('decide over valid objects with holes of the wrong type punched in', () => {
  it('never throws, and what it emits applies to the object as it is', () => {
    let patched = 0;
    fc.assert(fc.property(holedObject, kinds, configArbitrary, factsPlan, (object, kind, config, plan) => {
      const input = { kind: { group: '', version: 'v1', kind }, operation: 'CREATE', namespace: 'ns', object };
      const decision = decide(input, config, buildFacts(plan));
      if (decision.operations.length > 0) patched++;
      fastJsonPatch.applyPatch(structuredClone(object), structuredClone(decision.operations) as fastJsonPatch.Operation[], true, false);
    }), RUNS);
    expect(patched).toBeGreaterThan(RUNS.numRuns / 10);
  });
});
