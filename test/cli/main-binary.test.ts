/** The CLI as an operator runs it: the built binary (dist/cli/main.js) in a child process. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAIN } from '../support/server-process.js';

const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, CONFIG_FILE: '' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('workspace-storage-webhook (the built binary)', () => {
  it.each([['--version'], ['-v'], ['version']])('%s prints the package version', (flag) => {
    expect(run([flag])).toEqual({ status: 0, stdout: `workspace-storage-webhook ${PACKAGE.version}\n`, stderr: '' });
  });

  it.each([
    [['--help'], /^usage: workspace-storage-webhook <command>/],
    [['serve', '--help'], /^usage: workspace-storage-webhook serve\n[\s\S]*PORT \(8443\)/],
    [['serve', '-h'], /^usage: workspace-storage-webhook serve/],
    [['preview', '--help'], /^usage: workspace-storage-webhook preview -f <file\|->/],
    [['ca-bundle', '--help'], /^usage: workspace-storage-webhook ca-bundle/],
    [['report', '--help'], /^usage: workspace-storage-webhook report \[-o table\|json\][\s\S]*remote/],
    [['migrate', '--help'], /^usage: workspace-storage-webhook migrate --namespace <ns> --pvc <name>[\s\S]*Retain/],
  ])('%j prints help and exits 0 (serve does not start)', (args, usage) => {
    const result = run(args);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(usage);
    expect(result.stderr).toBe('');
  });

  it.each([
    [['--frobnicate'], /^unknown flag "--frobnicate"\nusage: workspace-storage-webhook <command>/],
    [['frobnicate'], /^unknown command "frobnicate"\nusage: /],
    [['serve', '--port', '9443'], /^serve: unknown argument "--port" .*\nusage: workspace-storage-webhook serve/],
    [['preview', '-f', '-', '--frobnicate'], /^preview: Unknown option '--frobnicate'.*\nusage: workspace-storage-webhook preview/],
    [['ca-bundle', '--frobnicate'], /^ca-bundle: Unknown option '--frobnicate'.*\nusage: workspace-storage-webhook ca-bundle/],
    [['report', '--frobnicate'], /^report: Unknown option '--frobnicate'.*\nusage: workspace-storage-webhook report/],
    [['report', '-o', 'yaml'], /^report: -o must be table or json, got "yaml"\nusage: /],
    [['migrate', '--pvc', 'home'], /^migrate: --namespace required\nusage: workspace-storage-webhook migrate/],
    [['migrate'], /^migrate: --namespace and --pvc required\nusage: /],
    [['migrate', '-n', 'coder', '--pvc', 'home', '--timeout', 'soon'], /^migrate: --timeout must be a positive number of seconds, got "soon"\nusage: /],
    [['migrate', '-n', 'coder', '--pvc', 'home', '--force'], /^migrate: Unknown option '--force'.*\nusage: workspace-storage-webhook migrate/],
  ])('%j is an error with a usage line, exit 2', (args, message) => {
    const result = run(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});
