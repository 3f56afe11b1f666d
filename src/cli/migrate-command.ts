import { loadClusterAccess } from '../cluster/credentials/cluster-access.js';
import { HttpsApiTransport } from '../cluster/list-watch/https-api-transport.js';
import { httpsMigrationApi } from '../migrate/https-migration-api.js';
import { MigrationError, runMigration, type MigrationOutcome } from '../migrate/run-migration.js';
import { parseCommandArgs, type UsageIo } from './command-args.js';

const USAGE = `usage: workspace-storage-webhook migrate --namespace <ns> --pvc <name> [--to local-path] [--dry-run]
                                        [--image <image>] [--node <node>] [--timeout <seconds>]

Moves a stopped workspace's home to another StorageClass with its data (the incident report's "recreate the PVC on
local-path", automated):
  1. refuses while any pod uses the claim: stop the workspace in Coder first;
  2. sets the old PV's reclaim policy to Retain (the old volume is kept, never deleted by this tool);
  3. copies the data into a new claim on the target class with a Job, then compares every path, owner, mode,
     size and SHA-256 of the copy with the source;
  4. deletes the old claim and creates one with the same name, labels and annotations, bound to the new volume,
     so that the Coder template finds it unchanged.
Every step is printed. Re-running after an interruption resumes; a re-run of a finished migration says so.
  -n, --namespace <ns>   the workspace's namespace (required)
  --pvc <name>           the claim to move (required)
  --to <class>           target StorageClass (default local-path)
  --dry-run              print the plan and change nothing
  --image <image>        the copy Job's image: sh, find, stat, sha256sum, cmp, awk (default busybox:1.36)
  --node <node>          put the new volume on this node (for local-path, where the workspace will run)
  --timeout <seconds>    how long the copy may take (default 3600)
  -h, --help             this text
Cluster access as the server finds it (in-cluster, KUBECONFIG, ~/.kube/config); it needs get/list/create/patch/
delete on persistentvolumeclaims, persistentvolumes and jobs, and list on pods in the namespace.
Exit status: 0 migrated (or nothing to do, or the plan printed), 4 refused (a pod uses the claim), 1 failed (the
message says where things stand), 2 bad usage or no cluster access.
`;

/** `migrate`: see {@link USAGE}. */
export async function runMigrateCommand(args: readonly string[], io: UsageIo): Promise<number> {
  const options = parseCommandArgs('migrate', USAGE, args, {
    namespace: { type: 'string', short: 'n' }, pvc: { type: 'string' }, to: { type: 'string', default: 'local-path' },
    'dry-run': { type: 'boolean' }, image: { type: 'string', default: 'busybox:1.36' }, node: { type: 'string' },
    timeout: { type: 'string', default: '3600' }, help: { type: 'boolean', short: 'h' },
  }, io);
  if (typeof options === 'number') return options;
  const timeout = Number(options.timeout);
  const missing = [options.namespace ? '' : '--namespace', options.pvc ? '' : '--pvc'].filter(Boolean);
  if (missing.length > 0 || !Number.isFinite(timeout) || timeout <= 0) {
    io.stderr.write(`migrate: ${missing.length > 0 ? `${missing.join(' and ')} required` : `--timeout must be a positive number of seconds, got "${options.timeout}"`}\n${USAGE}`);
    return 2;
  }
  const access = await loadClusterAccess();
  if (!access.ok) {
    io.stderr.write(`migrate: no cluster access: ${access.reason}\n`);
    return 2;
  }
  const log = (line: string): void => void io.stdout.write(`migrate: ${line}\n`);
  let outcome: MigrationOutcome;
  try {
    outcome = await runMigration(httpsMigrationApi(new HttpsApiTransport(access.access)), {
      namespace: options.namespace!, claim: options.pvc!, to: options.to, image: options.image,
      ...(options.node ? { node: options.node } : {}),
      dryRun: options['dry-run'] === true, copyTimeoutMs: timeout * 1000, stepTimeoutMs: 300_000, pollMs: 1_000,
    }, log);
  } catch (error) {
    const prefix = error instanceof MigrationError ? '' : 'unexpected error: ';
    io.stderr.write(`migrate: ${prefix}${(error as Error).message}\n`);
    return 1;
  }
  switch (outcome.kind) {
    case 'refused':
      io.stderr.write(`migrate: refused: ${options.namespace}/${options.pvc} is in use by ${outcome.pods.join(', ')}; stop the workspace in Coder first\n`);
      return 4;
    case 'planned':
      io.stdout.write(`migrate: dry run, nothing changed. The plan:\n${outcome.steps.map((step) => `  ${step}\n`).join('')}`);
      return 0;
    case 'nothing-to-do':
      log(`nothing to do: ${outcome.reason}`);
      return 0;
    case 'migrated':
      log(`done: ${options.namespace}/${options.pvc} is on PV ${outcome.volume} (${options.to}); verified ${outcome.verified}; the old PV ${outcome.from} is kept (Retain, Released): delete it yourself once the workspace is checked`);
      return 0;
  }
}
