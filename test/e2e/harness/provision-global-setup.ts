/**
 * Vitest global setup of the e2e project: when the cluster binaries are missing, run
 * scripts/provision-control-plane.sh (the first time ~20 minutes on 2 cores; cached afterwards) instead of letting
 * every suite skip. Its progress lines go to stderr as they come, with the time it took at the end.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findControlPlaneAssets } from './assets.js';

const PROVISION_SCRIPT = fileURLToPath(new URL('../../../scripts/provision-control-plane.sh', import.meta.url));

/** Vitest calls this once before the e2e suites. */
export default async function provisionClusterBinaries(): Promise<void> {
  if (findControlPlaneAssets() !== undefined) return;
  const started = Date.now();
  process.stderr.write(`e2e: cluster binaries missing: running ${PROVISION_SCRIPT}\n`);
  await runScript(PROVISION_SCRIPT);
  const seconds = Math.round((Date.now() - started) / 1000);
  if (findControlPlaneAssets() === undefined) {
    throw new Error(`e2e: ${PROVISION_SCRIPT} finished after ${seconds} s but the binaries are still missing`);
  }
  process.stderr.write(`e2e: cluster binaries provisioned in ${seconds} s (cached for later runs)\n`);
}

function runScript(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // stdout carries only the bin directory; stderr is the progress, shown as it comes.
    const child = spawn('bash', [script], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`e2e: ${script} failed (${signal ?? `exit ${String(code)}`}); see its lines above`));
    });
  });
}
