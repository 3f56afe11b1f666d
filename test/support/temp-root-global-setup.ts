/**
 * One temporary directory for a whole test run, removed when it ends: every `os.tmpdir()` the suites and the servers
 * they start use lands under it (TMPDIR), so a run leaves no `wsw-*` directories in /tmp, whichever test made them
 * and however it ended. World-readable (0755), as the start-up tests run the server as another user.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  // Each project lists this file; the first to run makes the directory, the others find it.
  if (process.env.WSW_TEST_TMPDIR !== undefined) return () => undefined;
  const root = mkdtempSync(join(tmpdir(), 'wsw-tests-'));
  chmodSync(root, 0o755);
  process.env.WSW_TEST_TMPDIR = root;
  process.env.TMPDIR = root;
  return () => {
    rmSync(root, { recursive: true, force: true });
  };
}
