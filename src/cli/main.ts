#!/usr/bin/env node
import { runCaBundleCommand } from './ca-bundle-command.js';
import { runServeCommand } from './serve-command.js';

const USAGE = `usage: workspace-storage-webhook <command>

commands:
  serve                      run the admission webhook (default)
  preview -f <file|-> [--diff] [--config <file>]
                             show what the webhook would do to Pods, PVCs, Deployments, StatefulSets, Jobs
  ca-bundle [--apply [--name <config>] [--secret <name> [--namespace <ns>] [--service <name>]] [--timeout <s>]]
                             print the caBundle of $CERT_DIR/ca.crt; --apply patches it into the webhook
                             configuration; --secret takes it from (creating if absent) the serving TLS Secret
`;

const [command = 'serve', ...args] = process.argv.slice(2);
switch (command) {
  case 'serve':
    await runServeCommand();
    break;
  case 'ca-bundle':
    process.exitCode = await runCaBundleCommand(args, process);
    break;
  case 'preview': {
    const { runPreviewCommand } = await import('./preview-command.js');
    process.exitCode = await runPreviewCommand(args, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
    break;
  }
  case '-h':
  case '--help':
  case 'help':
    process.stdout.write(USAGE);
    break;
  default:
    process.stderr.write(`unknown command "${command}"\n${USAGE}`);
    process.exitCode = 2;
}
