#!/usr/bin/env node
import { packageVersion } from '../package-version.js';
import { runServeCommand, SERVE_USAGE } from './serve-command.js';

const USAGE = `usage: workspace-storage-webhook <command> [flags]

commands:
  serve                      run the admission webhook (the default command)
  preview -f <file|->        show what the webhook would do to Kubernetes objects (Pods, PVCs, workloads, Lists)
  ca-bundle [--apply ...]    print the caBundle of $CERT_DIR/ca.crt, or write it into the webhook configuration
  report [-o table|json]     which workspaces run away from their data now (exit 3 when any does)
  migrate -n <ns> --pvc <n>  move a stopped workspace's home to local-path with its data (--dry-run: the plan)

flags:
  -h, --help                 this text; \`<command> --help\` for a command's flags
  -v, --version              the version
`;


const [command = 'serve', ...args] = process.argv.slice(2);
switch (command) {
  case 'serve':
    if (args.includes('-h') || args.includes('--help')) {
      process.stdout.write(SERVE_USAGE);
    } else if (args.length > 0) {
      process.stderr.write(`serve: unknown argument "${args[0]}" (serve takes its settings from the environment)\n${SERVE_USAGE}`);
      process.exitCode = 2;
    } else {
      await runServeCommand();
    }
    break;
  case 'ca-bundle': {
    // Imported on use, like the other commands: through tls-secret.ts it loads node-forge, which `serve` with
    // certificates in place never needs (its memory counts against the server's RSS).
    const { runCaBundleCommand } = await import('./ca-bundle-command.js');
    process.exitCode = await runCaBundleCommand(args, process);
    break;
  }
  case 'preview': {
    const { runPreviewCommand } = await import('./preview-command.js');
    process.exitCode = await runPreviewCommand(args, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
    break;
  }
  case 'report': {
    const { runReportCommand } = await import('./report-command.js');
    process.exitCode = await runReportCommand(args, { stdout: process.stdout, stderr: process.stderr });
    break;
  }
  case 'migrate': {
    const { runMigrateCommand } = await import('./migrate-command.js');
    process.exitCode = await runMigrateCommand(args, { stdout: process.stdout, stderr: process.stderr });
    break;
  }
  case '-v':
  case '--version':
  case 'version':
    process.stdout.write(`workspace-storage-webhook ${packageVersion()}\n`);
    break;
  case '-h':
  case '--help':
  case 'help':
    process.stdout.write(USAGE);
    break;
  default:
    process.stderr.write(`unknown ${command.startsWith('-') ? 'flag' : 'command'} "${command}"\n${USAGE}`);
    process.exitCode = 2;
}
