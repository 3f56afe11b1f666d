import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createTwoFilesPatch } from 'diff';
import { parseAllDocuments, stringify } from 'yaml';
import { OffClusterFacts } from '../cluster/off-cluster-facts.js';
import { loadConfig } from '../config/load-config.js';
import { previewObject, UnsupportedKindError, type PreviewResult } from '../preview/preview-objects.js';

/** Streams the command uses; process.stdin/stdout/stderr in production. */
export interface PreviewIo {
  readonly stdin: AsyncIterable<Buffer | string>;
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
}

const USAGE = `usage: workspace-storage-webhook preview -f <file|-> [--diff] [--config <file>]

Shows what the webhook would do to the Kubernetes objects in a YAML file (- for standard input): Pods and
PVCs as created, the pod template of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs as
their pods would be, and StatefulSet volumeClaimTemplates as their PVCs would be. Uses the same core and config
as the server (--config, else $CONFIG_FILE, else the defaults). Without a cluster, node affinity is not previewed.
  -f, --filename <file|->   input YAML (one or more documents)
  --diff                    print a unified diff instead of the resulting objects
  --config <file>           configuration file
Warnings go to standard error. Exit 0 on success, 1 on invalid input, 2 on bad usage.
`;

async function readInput(file: string, stdin: AsyncIterable<Buffer | string>): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  let text = '';
  for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text;
}

/** `preview`: exit code 0 on success, 1 on invalid input, 2 on bad usage. */
export async function runPreviewCommand(args: readonly string[], io: PreviewIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let options;
  try {
    options = parseArgs({
      args: [...args],
      options: {
        filename: { type: 'string', short: 'f' }, diff: { type: 'boolean' }, config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    io.stderr.write(`preview: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    io.stdout.write(USAGE);
    return 0;
  }
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
    return 1;
  }
  const source = options.filename === '-' ? '(stdin)' : options.filename;
  const documents = parseAllDocuments(text, { uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [documents];
  const facts = new OffClusterFacts('preview has no cluster: node affinity is not previewed');
  const results: PreviewResult[] = [];
  for (const [index, document] of list.entries()) {
    if (document.errors.length > 0) {
      io.stderr.write(`preview: ${source}: document ${index + 1} is not valid YAML: ${document.errors[0]?.message.split('\n')[0]}\n`);
      return 1;
    }
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    try {
      results.push(previewObject(value, config, facts));
    } catch (error) {
      if (!(error instanceof UnsupportedKindError)) throw error;
      io.stderr.write(`preview: ${source}: document ${index + 1}: ${error.message}\n`);
      return 1;
    }
  }
  if (results.length === 0) {
    io.stderr.write(`preview: ${source}: no Kubernetes objects found\n`);
    return 1;
  }

  for (const result of results) {
    for (const warning of result.warnings) io.stderr.write(`warning: ${result.label}: ${warning}\n`);
    for (const mutation of result.mutations) io.stderr.write(`change: ${result.label}: ${mutation}\n`);
    if (result.mutations.length === 0) io.stderr.write(`unchanged: ${result.label}\n`);
  }
  if (options.diff) {
    for (const result of results) {
      io.stdout.write(createTwoFilesPatch(`a/${result.label}`, `b/${result.label}`, stringify(result.before), stringify(result.after)));
    }
  } else {
    io.stdout.write(results.map((result) => stringify(result.after)).join('---\n'));
  }
  return 0;
}
