/**
 * Gating for suites that need a real cluster's binaries. The e2e project's global setup
 * (provision-global-setup.ts) provisions them before any suite runs, so a missing binary here means provisioning
 * was bypassed (a suite run outside the e2e project): the suite fails saying how to get them, it never skips.
 */
import { describe, it } from 'vitest';
import { findControlPlaneAssets } from './assets.js';

/** Why an e2e suite cannot run. */
export const E2E_MISSING_MESSAGE =
  'no kube-apiserver/etcd binaries: run scripts/provision-control-plane.sh or set KUBEBUILDER_ASSETS';

/**
 * `describe` for end-to-end suites: a plain `describe` when the binaries are there (see
 * {@link findControlPlaneAssets}); otherwise one failing test that says why.
 */
export function describeE2E(name: string, factory: () => void): void {
  if (findControlPlaneAssets() !== undefined) {
    describe(name, factory);
    return;
  }
  describe(name, () => {
    it('has the cluster binaries', () => {
      throw new Error(E2E_MISSING_MESSAGE);
    });
  });
}
