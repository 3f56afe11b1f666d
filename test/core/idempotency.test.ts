import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/parse-config.js';
import { decide } from '../../src/core/decide.js';
import type { Pod } from '../../src/kube/kube-types.js';
import { InMemoryClusterFacts } from '../support/in-memory-cluster-facts.js';
import { applyDecision, createInput, fixture } from '../support/fixtures.js';

const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));
const files = ['pods', 'pvcs'].flatMap((dir) => readdirSync(FIXTURE_DIR + dir).map((name) => `${dir}/${name}`));

const config = parseConfig({ tmpfs: { projects: ['/home/coder/app', '/workspaces/app'] }, containerStorage: { paths: ['/var/lib/docker'] } });

describe('a second pass over the patched object yields no operations', () => {
  it.each(files)('%s', (file) => {
    const facts = new InMemoryClusterFacts();
    const object = fixture<Pod>(file);
    object.metadata = {
      ...object.metadata,
      annotations: { ...object.metadata?.annotations, 'workspace-storage.dev/container-storage': 'podman' },
    };
    const first = decide(createInput(object), config, facts);
    const patched = applyDecision(object, first);
    const second = decide(createInput(patched), config, facts);
    expect(second.operations).toEqual([]);
    expect(second.outcome).not.toBe('mutated');
  });
});
