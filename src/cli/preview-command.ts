import { readFile } from 'node:fs/promises';
import { createTwoFilesPatch } from 'diff';
import { parseAllDocuments, stringify } from 'yaml';
import { pino } from 'pino';
import { OffClusterFacts } from '../cluster/facts/off-cluster-facts.js';
import { startClusterFacts } from '../cluster/facts/start-cluster-facts.js';
import type { Config } from '../config/config-types.js';
import { loadConfig } from '../config/load-config.js';
import type { ClusterFacts } from '../core/cluster-facts.js';
import { isRecord } from '../kube/json-value.js';
import { previewObject, UnsupportedKindError, type PreviewResult } from '../preview/preview-objects.js';
import { parseCommandArgs, type UsageIo } from './command-args.js';

/** Streams the command uses; process.stdin/stdout/stderr in production. */
export interface PreviewIo extends UsageIo {
  readonly stdin: AsyncIterable<Buffer | string>;
}

const USAGE = `usage: workspace-storage-webhook preview -f <file|-> [--diff] [--config <file>] [--offline]

Shows what the webhook would do to the Kubernetes objects in a YAML stream (- for standard input, so it reads what
kubectl kustomize, helm template or kubectl get -o yaml print): Pods and PVCs as created, the pod template of
Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs as their pods would be, StatefulSet
volumeClaimTemplates as their PVCs would be, and the items of a kind: List one by one. Other kinds pass through
unchanged (a note on standard error). Uses the same core and config as the server (--config, else $CONFIG_FILE,
else the defaults). With cluster access (KUBECONFIG, ~/.kube/config or a service account) it reads the cluster as
the server does and shows the node affinity it would add; without, it says on standard error why not.
  -f, --filename <file|->   input YAML (one or more documents)
  --diff                    print a unified diff instead of the resulting objects
  --config <file>           configuration file
  --offline                 do not look for cluster access (no node affinity)
  -h, --help                this text
Notes and warnings go to standard error. Exit status, as diff and kubectl diff: 0 when nothing would change (or,
without --diff, on success), 1 with --diff when something would change, 2 on bad usage or invalid input.
`;

/** How long the preview waits for the cluster caches before deciding with what it has. */
const CLUSTER_SYNC_TIMEOUT_MS = 15_000;

async function readInput(file: string, stdin: AsyncIterable<Buffer | string>): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  let text = '';
  for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text;
}

/** A List's items (`kind: List`, as `kubectl get -o yaml` prints several objects), or undefined for other objects. */
function listItems(value: unknown): unknown[] | undefined {
  if (!isRecord(value) || value.kind !== 'List' || !Array.isArray(value.items)) return undefined;
  return value.items as unknown[];
}

/** Previews one object, or passes a kind the webhook does not mutate through unchanged with a note. */
function previewOrPass(value: unknown, config: Config, facts: ClusterFacts, notes: string[]): PreviewResult {
  try {
    return previewObject(value, config, facts);
  } catch (error) {
    if (!(error instanceof UnsupportedKindError) || !isRecord(value) || typeof value.kind !== 'string') throw error;
    const metadata = isRecord(value.metadata) ? value.metadata : {};
    const label = `${value.kind}/${typeof metadata.name === 'string' ? metadata.name : '(unnamed)'}`;
    notes.push(`passed through: ${label} (not a kind the webhook mutates)`);
    return { label, before: value, after: value, warnings: [], mutations: [] };
  }
}

/** One input document after the preview: an object, or a List of them. */
type PreviewedDocument = { readonly result: PreviewResult } | { readonly list: Record<string, unknown>; readonly items: PreviewResult[] };

/** The facts to preview with: the cluster's, when there is access and --offline is not given. */
async function previewFacts(config: Config, offline: boolean): Promise<{ facts: ClusterFacts; stop: () => Promise<void>; why?: string }> {
  if (offline) return { facts: new OffClusterFacts('--offline'), stop: async () => {}, why: '--offline' };
  const running = await startClusterFacts(config, pino({ level: 'silent' }));
  const status = await running.waitForSync(CLUSTER_SYNC_TIMEOUT_MS);
  return { facts: running.facts, stop: () => running.stop(), ...(status.state === 'synced' ? {} : { why: status.reason ?? status.state }) };
}

/** `preview`: exit code 0 (nothing would change, or success without --diff), 1 (--diff: changes), 2 (usage, input). */
export async function runPreviewCommand(args: readonly string[], io: PreviewIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const options = parseCommandArgs('preview', USAGE, args, {
    filename: { type: 'string', short: 'f' }, diff: { type: 'boolean' }, config: { type: 'string' },
    offline: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  }, io);
  if (typeof options === 'number') return options;
  if (!options.filename) {
    io.stderr.write(`preview: -f <file|-> is required\n${USAGE}`);
    return 2;
  }

  let text: string;
  let config;
  try {
    config = loadConfig(options.config ?? env.CONFIG_FILE);
    text = await readInput(options.filename, io.stdin);
  } catch (error) {
    io.stderr.write(`preview: ${(error as Error).message}\n`);
    return 2;
  }
  const source = options.filename === '-' ? '(stdin)' : options.filename;
  const documents = parseAllDocuments(text, { uniqueKeys: true });
  const values: unknown[] = [];
  for (const [index, document] of (Array.isArray(documents) ? documents : [documents]).entries()) {
    if (document.errors.length > 0) {
      io.stderr.write(`preview: ${source}: document ${index + 1} is not valid YAML: ${document.errors[0]?.message.split('\n')[0]}\n`);
      return 2;
    }
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    if (!isRecord(value)) {
      io.stderr.write(`preview: ${source}: document ${index + 1}: not a Kubernetes object (a YAML mapping with kind)\n`);
      return 2;
    }
    values.push(value);
  }
  if (values.length === 0) {
    io.stderr.write(`preview: ${source}: no Kubernetes objects found\n`);
    return 2;
  }

  const { facts, stop, why } = await previewFacts(config, options.offline === true);
  const notes: string[] = [];
  const previewed: PreviewedDocument[] = [];
  try {
    for (const [index, value] of values.entries()) {
      const items = listItems(value);
      try {
        previewed.push(items === undefined
          ? { result: previewOrPass(value, config, facts, notes) }
          : { list: value as Record<string, unknown>, items: items.map((item) => previewOrPass(item, config, facts, notes)) });
      } catch (error) {
        if (!(error instanceof UnsupportedKindError)) throw error;
        io.stderr.write(`preview: ${source}: document ${index + 1}: ${error.message}\n`);
        return 2;
      }
    }
  } finally {
    await stop();
  }

  if (why !== undefined) io.stderr.write(`note: node affinity not previewed: ${why}\n`);
  for (const note of notes) io.stderr.write(`note: ${note}\n`);
  const results = previewed.flatMap((document) => ('result' in document ? [document.result] : document.items));
  for (const result of results) {
    for (const warning of result.warnings) io.stderr.write(`warning: ${result.label}: ${warning}\n`);
    for (const mutation of result.mutations) io.stderr.write(`change: ${result.label}: ${mutation}\n`);
    if (result.mutations.length === 0 && result.before !== result.after) io.stderr.write(`unchanged: ${result.label}\n`);
  }
  const changed = results.some((result) => result.mutations.length > 0);
  if (options.diff) {
    for (const result of results) {
      if (result.mutations.length === 0) continue;
      io.stdout.write(createTwoFilesPatch(`a/${result.label}`, `b/${result.label}`, stringify(result.before), stringify(result.after)));
    }
    return changed ? 1 : 0;
  }
  io.stdout.write(previewed.map((document) =>
    stringify('result' in document ? document.result.after : { ...document.list, items: document.items.map((item) => item.after) }),
  ).join('---\n'));
  return 0;
}
