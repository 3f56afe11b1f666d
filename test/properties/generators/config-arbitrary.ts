import fc from 'fast-check';
import { parseConfig } from '../../../src/config/parse-config.js';
import type { Config } from '../../../src/config/config-types.js';

/** Project paths the generated configs and pod annotations choose from; pods mount paths around them. */
export const PROJECT_POOL = ['/home/coder/app', '/workspaces/app', '/home/coder/projects/web-app', '/srv/work', '/var/lib'] as const;

/** tmpfs directory names (relative, some nested, one that collides with Docker's data root under /var/lib). */
export const DIR_POOL = ['node_modules', '.next', 'dist', 'build/cache', 'target', 'docker', 'a~b'] as const;

/** Storage classes a rewrite may map from, and to; disjoint, so no generated map has a chain. */
export const CLASS_FROM_POOL = ['longhorn', 'longhorn-ssd', 'standard', 'fast.io'] as const;
export const CLASS_TO_POOL = ['local-path', 'local-ssd'] as const;

/** Container-storage paths in configs and annotations. */
export const ENGINE_PATH_POOL = ['/var/lib/docker', '/var/lib/containers', '/home/coder/app/node_modules', '/cache'] as const;

const size = fc.constantFrom('512Mi', '1Gi', '8Gi', '16Gi', '100M');

/** The YAML document a generated config comes from (kept for failure reports). */
export const configDocument = fc.record({
  tmpfs: fc.record({
    projects: fc.subarray([...PROJECT_POOL]),
    dirs: fc.uniqueArray(fc.tuple(fc.constantFrom(...DIR_POOL), size), { minLength: 1, maxLength: 4, selector: ([name]) => name })
      .map((entries) => Object.fromEntries(entries)),
    medium: fc.constantFrom('memory', 'memory', 'disk', 'auto'),
  }),
  storageClass: fc.record({
    rewrite: fc.uniqueArray(fc.tuple(fc.constantFrom(...CLASS_FROM_POOL), fc.constantFrom(...CLASS_TO_POOL)), {
      maxLength: 4, selector: ([from]) => from,
    }).map((entries) => Object.fromEntries(entries)),
  }),
  affinity: fc.record({
    mode: fc.constantFrom('required', 'required', 'required', 'required', 'preferred', 'preferred', 'off'),
    preferredWeight: fc.integer({ min: 1, max: 100 }),
  }),
  containerStorage: fc.record({
    paths: fc.oneof(
      { weight: 3, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: fc.subarray([...ENGINE_PATH_POOL], { minLength: 1, maxLength: 2 }) },
    ),
    sizeLimit: size,
  }),
});

/** A valid, parsed configuration. */
export const configArbitrary: fc.Arbitrary<Config> = configDocument.map((document) => parseConfig(document));
