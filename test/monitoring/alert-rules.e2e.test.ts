/**
 * The alert rules of manifests/monitoring, checked and unit-tested by promtool (Debian's `prometheus` package,
 * installed with apt when missing: an external tool, so in the e2e project with the other provisioning).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { installMissingPackages } from '../e2e/harness/debian-packages.js';
import { MANIFESTS_DIR } from '../e2e/support/manifests.js';

const run = promisify(execFile);
const PROMTOOL = '/usr/bin/promtool';
const TESTS = new URL('./alert-rules.promtool.yaml', import.meta.url).pathname;

describe('manifests/monitoring alert rules (promtool)', () => {
  let dir: string;
  beforeAll(async () => {
    await installMissingPackages({ [PROMTOOL]: 'prometheus' }, 'promtool');
    // The PrometheusRule's spec.groups is a Prometheus rule file's content.
    const rule = parse(await readFile(join(MANIFESTS_DIR, 'monitoring', 'prometheus-rule.yaml'), 'utf8')) as { spec: { groups: unknown[] } };
    dir = await mkdtemp(join(tmpdir(), 'wsw-promtool-'));
    await writeFile(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
    await copyFile(TESTS, join(dir, 'alert-rules.promtool.yaml'));
  }, 900_000);

  it('promtool check rules: valid', async () => {
    const { stdout } = await run(PROMTOOL, ['check', 'rules', join(dir, 'rules.yaml')]);
    expect(stdout).toMatch(/SUCCESS: 6 rules found/);
  });

  it('promtool test rules: each alert fires when it should, with its labels and annotations, and only then', async () => {
    const { stdout } = await run(PROMTOOL, ['test', 'rules', join(dir, 'alert-rules.promtool.yaml')]);
    expect(stdout).toMatch(/SUCCESS/);
  });
});
