/**
 * Gating for suites that need a real control plane: they run when the binaries
 * are there, are skipped loudly on a developer machine without them, and fail
 * in CI, where a silent skip would hide that nothing was tested.
 */
import { describe, it } from 'vitest';
import { findControlPlaneAssets } from './assets.js';

/** The line printed (once per test file) when an e2e suite is skipped. */
export const E2E_SKIP_MESSAGE =
  'E2E SKIPPED: no kube-apiserver/etcd binaries; run scripts/provision-control-plane.sh or set KUBEBUILDER_ASSETS';

let skipAnnounced = false;

/** True when the CI variable is set to anything but an explicit "false"/"0". */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

/**
 * `describe` for end-to-end suites. With control-plane binaries available (see
 * {@link findControlPlaneAssets}) it is a plain `describe`. Without them: under
 * CI the suite is replaced by one failing test that says why; elsewhere it is
 * `describe.skip` and {@link E2E_SKIP_MESSAGE} goes to stderr.
 */
export function describeE2E(name: string, factory: () => void): void {
  if (findControlPlaneAssets() !== undefined) {
    describe(name, factory);
    return;
  }
  if (isCI()) {
    describe(name, () => {
      it('has control-plane binaries', () => {
        throw new Error(`${E2E_SKIP_MESSAGE} (CI is set, so this is a failure, not a skip)`);
      });
    });
    return;
  }
  if (!skipAnnounced) {
    skipAnnounced = true;
    process.stderr.write(`\n*** ${E2E_SKIP_MESSAGE} ***\n\n`);
  }
  describe.skip(name, factory);
}
