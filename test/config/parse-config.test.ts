import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { parseConfig } from '../../src/config/parse-config.js';

const README_EXAMPLE = `
workspaceSelectors:          # an object is a workspace object if it matches ANY of these
  - matchLabels: {app.kubernetes.io/name: coder-workspace}
  - matchLabels: {app.kubernetes.io/name: coder-pvc}
  - matchLabels: {com.coder.resource: "true"}
tmpfs:
  projects: [/home/coder/Research/moltbook-org/moltbook-frontend]
  dirs: {node_modules: 16Gi, .next: 8Gi}
storageClass:
  rewrite: {longhorn: local-path}
affinity:
  mode: required             # required | preferred | off (used by the co-location work)
service: {name: workspace-storage-webhook, namespace: workspace-storage-webhook}
`;

function writeConfig(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'wsw-config-')), 'config.yaml');
  writeFileSync(path, text);
  return path;
}

describe('configuration', () => {
  it('accepts the documented example, whose values are the defaults except projects', () => {
    const fromFile = loadConfig(writeConfig(README_EXAMPLE));
    const defaults = parseConfig({});
    expect(fromFile.tmpfs.projects).toEqual(['/home/coder/Research/moltbook-org/moltbook-frontend']);
    expect(defaults.tmpfs.projects).toEqual([]);
    expect({ ...fromFile, tmpfs: { ...fromFile.tmpfs, projects: [] } }).toEqual(defaults);
    expect(defaults.tmpfs.dirs).toEqual([
      { name: 'node_modules', sizeLimit: '16Gi', bytes: 16 * 2 ** 30 },
      { name: '.next', sizeLimit: '8Gi', bytes: 8 * 2 ** 30 },
    ]);
    expect(defaults.storageClass.rewrite).toEqual({ longhorn: 'local-path' });
    expect(defaults.affinity.mode).toBe('required');
    expect(defaults.containerStorage.sizeLimit).toBe('50Gi');
  });

  it('is deeply frozen', () => {
    const config = parseConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.tmpfs.dirs[0])).toBe(true);
    expect(Object.isFrozen(config.workspaceSelectors[0]?.matchLabels)).toBe(true);
  });

  it.each([
    ['unknown top-level key', { tmpfss: {} }, /config key "tmpfss": unknown key/],
    ['unknown nested key', { tmpfs: { dir: {} } }, /config key "tmpfs.dir": unknown key/],
    ['relative project path', { tmpfs: { projects: ['home/coder'] } }, /config key "tmpfs.projects\[0\]": "home\/coder" is not a clean absolute path/],
    ['project path with ..', { tmpfs: { projects: ['/home/../etc'] } }, /tmpfs.projects\[0\]/],
    ['bad size', { tmpfs: { dirs: { node_modules: '16GB' } } }, /config key "tmpfs.dirs.node_modules": "16GB" is not a positive quantity/],
    ['dir escaping the project', { tmpfs: { dirs: { '../x': '1Gi' } } }, /config key "tmpfs.dirs.\.\.\/x"/],
    ['bad tmpfs medium', { tmpfs: { medium: 'Memory' } }, /config key "tmpfs.medium": must be memory, disk or auto, got "Memory"/],
    ['bad affinity mode', { affinity: { mode: 'always' } }, /config key "affinity.mode": must be required, preferred or off/],
    ['weight out of range', { affinity: { preferredWeight: 0 } }, /affinity.preferredWeight/],
    ['rewrite chain', { storageClass: { rewrite: { a: 'b', b: 'c' } } }, /config key "storageClass.rewrite.a": rewrites to "b", which is itself rewritten/],
    ['invalid class name', { storageClass: { rewrite: { Longhorn: 'local-path' } } }, /"Longhorn" is not a valid StorageClass name/],
    ['empty selector', { workspaceSelectors: [{}] }, /workspaceSelectors\[0\]": .*empty selector/],
    ['bad label key', { workspaceSelectors: [{ matchLabels: { 'bad key': 'x' } }] }, /workspaceSelectors\[0\].matchLabels.bad key/],
    ['In without values', { workspaceSelectors: [{ matchExpressions: [{ key: 'a', operator: 'In' }] }] }, /In needs values/],
    ['selectors not a list', { workspaceSelectors: { matchLabels: {} } }, /config key "workspaceSelectors": must be a list/],
    ['container storage size', { containerStorage: { sizeLimit: '-1Gi' } }, /containerStorage.sizeLimit/],
    ['root not a mapping', ['a'], /config key "\(root\)"/],
  ])('rejects %s, naming the key', (_name, document, message) => {
    expect(() => parseConfig(document)).toThrow(message);
  });

  it('names the file for unreadable, invalid YAML and duplicate keys', () => {
    expect(() => loadConfig('/nonexistent/config.yaml')).toThrow(/config file \/nonexistent\/config.yaml: cannot read it: ENOENT/);
    const broken = writeConfig('tmpfs: [unclosed');
    expect(() => loadConfig(broken)).toThrow(new RegExp(`config file ${broken}: not valid YAML`));
    const duplicate = writeConfig('affinity: {mode: off}\naffinity: {mode: required}\n');
    expect(() => loadConfig(duplicate)).toThrow(/not valid YAML/);
    const badValue = writeConfig('affinity: {mode: sometimes}\n');
    expect(() => loadConfig(badValue)).toThrow(new RegExp(`config file ${badValue}: config key "affinity.mode"`));
  });
});
