// The end-to-end control-plane harness (test/e2e/harness, TypeScript written for vitest), compiled with tsc into
// .tmp/bench-harness so that plain node can import it.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HARNESS = join(ROOT, '.tmp/bench-harness/test/e2e/harness');

/** Compiles the harness and returns its exports (startControlPlane, findControlPlaneAssets, the PKI helpers). */
export async function loadHarness() {
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'bench/tsconfig.harness.json')], { stdio: 'inherit' });
  const controlPlane = await import(join(HARNESS, 'control-plane.js'));
  const pki = await import(join(HARNESS, 'pki.js'));
  return { ...controlPlane, ...pki };
}
