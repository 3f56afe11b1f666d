import type { LabelSelector, LabelSelectorRequirement } from '../kube/kube-types.js';
import { isCleanAbsolutePath } from '../kube/mount-path.js';
import { parseQuantity } from '../kube/quantity.js';
import { isDnsLabel, isDnsSubdomain } from '../kube/rfc1123-names.js';
import type { Config, TmpfsDir } from './config-types.js';
import { isRecord } from '../kube/json-value.js';

/** A configuration problem, naming the key (`tmpfs.dirs.node_modules`) and what is wrong with its value. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    problem: string,
  ) {
    super(`config key "${key}": ${problem}`);
    this.name = 'ConfigError';
  }
}

/**
 * The defaults: exactly the example of the README, except that `tmpfs.projects` is empty (which projects a
 * workspace has is the template author's business: the pod annotation or the operator's config names them).
 */
export const DEFAULT_CONFIG_DOCUMENT = {
  workspaceSelectors: [
    { matchLabels: { 'app.kubernetes.io/name': 'coder-workspace' } },
    { matchLabels: { 'app.kubernetes.io/name': 'coder-pvc' } },
    { matchLabels: { 'com.coder.resource': 'true' } },
  ],
  tmpfs: {
    projects: [], dirs: { node_modules: '16Gi', '.next': '8Gi' }, medium: 'memory', createProjectDirs: true, projectDirsImage: '',
  },
  storageClass: { rewrite: { longhorn: 'local-path' }, rewriteProvisioners: {} },
  affinity: { mode: 'required', preferredWeight: 100, longhornNamespace: 'longhorn-system' },
  containerStorage: { paths: [], sizeLimit: '50Gi' },
  service: { name: 'workspace-storage-webhook', namespace: 'workspace-storage-webhook' },
} as const;

type Doc = Record<string, unknown>;

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function isObject(value: unknown): value is Doc {
  return isRecord(value);
}

/** Rejects keys the schema does not know: a typo (`tmpfs.dir`) must not silently fall back to a default. */
function checkKeys(doc: Doc, key: string, allowed: readonly string[]): void {
  for (const name of Object.keys(doc)) {
    if (!allowed.includes(name)) {
      const where = key ? `${key}.${name}` : name;
      throw new ConfigError(where, `unknown key (allowed here: ${allowed.join(', ')})`);
    }
  }
}

function section(doc: Doc, key: string, name: string, allowed: readonly string[]): Doc {
  const value = doc[name];
  const where = key ? `${key}.${name}` : name;
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new ConfigError(where, `must be a mapping, got ${describe(value)}`);
  checkKeys(value, where, allowed);
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  return typeof value === 'object' ? 'a mapping' : typeof value;
}

function stringValue(value: unknown, key: string): string {
  if (typeof value !== 'string') throw new ConfigError(key, `must be a string, got ${describe(value)}`);
  return value;
}

/** A Kubernetes label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? '' : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (slash !== -1 && !isDnsSubdomain(prefix)) return false;
  return name.length > 0 && name.length <= 63 && LABEL_NAME.test(name);
}

function parseSelector(value: unknown, key: string): LabelSelector {
  if (!isObject(value)) throw new ConfigError(key, `must be a label selector mapping, got ${describe(value)}`);
  checkKeys(value, key, ['matchLabels', 'matchExpressions']);
  const selector: { matchLabels?: Record<string, string>; matchExpressions?: LabelSelectorRequirement[] } = {};
  if (value.matchLabels !== undefined) {
    if (!isObject(value.matchLabels)) throw new ConfigError(`${key}.matchLabels`, 'must be a mapping');
    const labels: Record<string, string> = {};
    for (const [label, labelValue] of Object.entries(value.matchLabels)) {
      const where = `${key}.matchLabels.${label}`;
      if (!isLabelKey(label)) throw new ConfigError(where, 'is not a valid label key');
      const text = stringValue(labelValue, where);
      if (text.length > 63 || !LABEL_VALUE.test(text)) throw new ConfigError(where, `"${text}" is not a valid label value`);
      labels[label] = text;
    }
    selector.matchLabels = labels;
  }
  if (value.matchExpressions !== undefined) {
    if (!Array.isArray(value.matchExpressions)) throw new ConfigError(`${key}.matchExpressions`, 'must be a list');
    selector.matchExpressions = value.matchExpressions.map((entry, index) =>
      parseRequirement(entry, `${key}.matchExpressions[${index}]`),
    );
  }
  if (!selector.matchLabels && !selector.matchExpressions) {
    throw new ConfigError(key, 'an empty selector would match every object; give matchLabels or matchExpressions');
  }
  return selector;
}

function parseRequirement(value: unknown, key: string): LabelSelectorRequirement {
  if (!isObject(value)) throw new ConfigError(key, `must be a mapping, got ${describe(value)}`);
  checkKeys(value, key, ['key', 'operator', 'values']);
  const labelKey = stringValue(value.key, `${key}.key`);
  if (!isLabelKey(labelKey)) throw new ConfigError(`${key}.key`, `"${labelKey}" is not a valid label key`);
  const operator = stringValue(value.operator, `${key}.operator`);
  if (operator !== 'In' && operator !== 'NotIn' && operator !== 'Exists' && operator !== 'DoesNotExist') {
    throw new ConfigError(`${key}.operator`, `must be In, NotIn, Exists or DoesNotExist, got "${operator}"`);
  }
  const values = value.values === undefined ? [] : value.values;
  if (!Array.isArray(values)) throw new ConfigError(`${key}.values`, 'must be a list of strings');
  const strings = values.map((entry, index) => stringValue(entry, `${key}.values[${index}]`));
  const needsValues = operator === 'In' || operator === 'NotIn';
  if (needsValues !== strings.length > 0) {
    throw new ConfigError(`${key}.values`, needsValues ? `${operator} needs values` : `${operator} takes no values`);
  }
  return needsValues ? { key: labelKey, operator, values: strings } : { key: labelKey, operator };
}

function parseAbsolutePaths(value: unknown, key: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ConfigError(key, `must be a list of absolute paths, got ${describe(value)}`);
  return value.map((entry, index) => {
    const path = stringValue(entry, `${key}[${index}]`);
    if (!isCleanAbsolutePath(path)) {
      throw new ConfigError(`${key}[${index}]`, `"${path}" is not a clean absolute path (no "..", ".", or "//")`);
    }
    return path.length > 1 ? path.replace(/\/+$/, '') : path;
  });
}

function parseSize(value: unknown, key: string): { text: string; bytes: number } {
  const text = typeof value === 'number' ? String(value) : stringValue(value, key);
  const bytes = parseQuantity(text);
  if (bytes === undefined || bytes <= 0) throw new ConfigError(key, `"${text}" is not a positive quantity such as 16Gi`);
  return { text, bytes };
}

function parseTmpfsDirs(value: unknown, key: string): TmpfsDir[] {
  if (value === undefined || value === null) return parseTmpfsDirs(DEFAULT_CONFIG_DOCUMENT.tmpfs.dirs, key);
  if (!isObject(value)) throw new ConfigError(key, `must be a mapping of directory name to size, got ${describe(value)}`);
  return Object.entries(value).map(([name, size]) => {
    const where = `${key}.${name}`;
    const segments = name.split('/');
    if (name.startsWith('/') || segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
      throw new ConfigError(where, 'the directory name must be relative to the project path, without "." or ".."');
    }
    const { text, bytes } = parseSize(size, where);
    return { name, sizeLimit: text, bytes };
  });
}

function parseRewrite(value: unknown, key: string): Record<string, string> {
  if (value === undefined || value === null) return { ...DEFAULT_CONFIG_DOCUMENT.storageClass.rewrite };
  if (!isObject(value)) throw new ConfigError(key, `must be a mapping of class to class, got ${describe(value)}`);
  const rewrite: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [from, to] of Object.entries(value)) {
    const where = `${key}.${from}`;
    const target = stringValue(to, where);
    for (const name of [from, target]) {
      if (!isDnsSubdomain(name)) {
        throw new ConfigError(where, `"${name}" is not a valid StorageClass name`);
      }
    }
    rewrite[from] = target;
  }
  // A value that is also a key would make the rewrite depend on how many times it runs (reinvocation).
  for (const [from, to] of Object.entries(rewrite)) {
    if (Object.hasOwn(rewrite, to)) {
      throw new ConfigError(`${key}.${from}`, `rewrites to "${to}", which is itself rewritten: chains are not allowed`);
    }
  }
  return rewrite;
}

/**
 * `storageClass.rewriteProvisioners`: provisioner name (a CSI driver name, a DNS subdomain) -> class. A target class
 * that `rewrite` would rewrite again is a chain, rejected like chains within `rewrite`.
 */
function parseRewriteProvisioners(value: unknown, key: string, rewrite: Readonly<Record<string, string>>): Record<string, string> {
  if (value === undefined || value === null) return Object.create(null) as Record<string, string>;
  if (!isObject(value)) throw new ConfigError(key, `must be a mapping of provisioner to class, got ${describe(value)}`);
  const byProvisioner: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [provisioner, to] of Object.entries(value)) {
    const where = `${key}.${provisioner}`;
    if (!isDnsSubdomain(provisioner)) throw new ConfigError(where, `"${provisioner}" is not a valid provisioner name`);
    const target = stringValue(to, where);
    if (!isDnsSubdomain(target)) throw new ConfigError(where, `"${target}" is not a valid StorageClass name`);
    if (Object.hasOwn(rewrite, target)) {
      throw new ConfigError(where, `rewrites to "${target}", which storageClass.rewrite rewrites again: chains are not allowed`);
    }
    byProvisioner[provisioner] = target;
  }
  return byProvisioner;
}

function parseLabelName(value: unknown, key: string, fallback: string, what: string): string {
  if (value === undefined || value === null) return fallback;
  const name = stringValue(value, key);
  if (!isDnsLabel(name)) throw new ConfigError(key, `"${name}" is not a valid ${what}`);
  return name;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Validates a parsed configuration document (YAML already decoded) and returns the typed, deeply frozen
 * configuration with defaults filled in. Throws ConfigError naming the first bad key.
 */
export function parseConfig(document: unknown): Config {
  if (document === undefined || document === null) document = {};
  if (!isObject(document)) throw new ConfigError('(root)', `the file must hold a mapping, got ${describe(document)}`);
  checkKeys(document, '', ['workspaceSelectors', 'tmpfs', 'storageClass', 'affinity', 'containerStorage', 'service']);

  const selectorsValue = document.workspaceSelectors ?? DEFAULT_CONFIG_DOCUMENT.workspaceSelectors;
  if (!Array.isArray(selectorsValue)) throw new ConfigError('workspaceSelectors', 'must be a list of label selectors');
  const workspaceSelectors = selectorsValue.map((entry, index) => parseSelector(entry, `workspaceSelectors[${index}]`));

  const tmpfs = section(document, '', 'tmpfs', ['projects', 'dirs', 'medium', 'createProjectDirs', 'projectDirsImage']);
  const storageClass = section(document, '', 'storageClass', ['rewrite', 'rewriteProvisioners']);
  const affinity = section(document, '', 'affinity', ['mode', 'preferredWeight', 'longhornNamespace']);
  const containerStorage = section(document, '', 'containerStorage', ['paths', 'sizeLimit']);
  const service = section(document, '', 'service', ['name', 'namespace']);

  const medium = tmpfs.medium ?? DEFAULT_CONFIG_DOCUMENT.tmpfs.medium;
  if (medium !== 'memory' && medium !== 'disk' && medium !== 'auto') {
    throw new ConfigError('tmpfs.medium', `must be memory, disk or auto, got ${describe(medium)}`);
  }
  const createProjectDirs = tmpfs.createProjectDirs ?? DEFAULT_CONFIG_DOCUMENT.tmpfs.createProjectDirs;
  if (typeof createProjectDirs !== 'boolean') {
    throw new ConfigError('tmpfs.createProjectDirs', `must be true or false, got ${describe(createProjectDirs)}`);
  }
  const projectDirsImage = stringValue(tmpfs.projectDirsImage ?? DEFAULT_CONFIG_DOCUMENT.tmpfs.projectDirsImage, 'tmpfs.projectDirsImage');
  if (/\s/.test(projectDirsImage)) throw new ConfigError('tmpfs.projectDirsImage', `"${projectDirsImage}" is not an image reference`);
  const mode = affinity.mode ?? DEFAULT_CONFIG_DOCUMENT.affinity.mode;
  if (mode !== 'required' && mode !== 'preferred' && mode !== 'off') {
    throw new ConfigError('affinity.mode', `must be required, preferred or off, got ${describe(mode)}`);
  }
  const weight = affinity.preferredWeight ?? DEFAULT_CONFIG_DOCUMENT.affinity.preferredWeight;
  if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 1 || weight > 100) {
    throw new ConfigError('affinity.preferredWeight', `must be an integer from 1 to 100, got ${describe(weight)}`);
  }
  const containerSize = parseSize(
    containerStorage.sizeLimit ?? DEFAULT_CONFIG_DOCUMENT.containerStorage.sizeLimit,
    'containerStorage.sizeLimit',
  );

  const rewrite = parseRewrite(storageClass.rewrite, 'storageClass.rewrite');
  const config: Config = {
    workspaceSelectors,
    tmpfs: {
      projects: parseAbsolutePaths(tmpfs.projects, 'tmpfs.projects'),
      dirs: parseTmpfsDirs(tmpfs.dirs, 'tmpfs.dirs'),
      medium,
      createProjectDirs,
      projectDirsImage,
    },
    storageClass: {
      rewrite,
      rewriteProvisioners: parseRewriteProvisioners(storageClass.rewriteProvisioners, 'storageClass.rewriteProvisioners', rewrite),
    },
    affinity: {
      mode,
      preferredWeight: weight,
      longhornNamespace: parseLabelName(
        affinity.longhornNamespace, 'affinity.longhornNamespace', DEFAULT_CONFIG_DOCUMENT.affinity.longhornNamespace, 'namespace name',
      ),
    },
    containerStorage: {
      paths: parseAbsolutePaths(containerStorage.paths, 'containerStorage.paths'),
      sizeLimit: containerSize.text,
      sizeLimitBytes: containerSize.bytes,
    },
    service: {
      name: parseLabelName(service.name, 'service.name', DEFAULT_CONFIG_DOCUMENT.service.name, 'Service name'),
      namespace: parseLabelName(service.namespace, 'service.namespace', DEFAULT_CONFIG_DOCUMENT.service.namespace, 'namespace name'),
    },
  };
  return deepFreeze(config);
}
