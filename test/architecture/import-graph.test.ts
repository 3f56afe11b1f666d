/**
 * The shape the code promises (README "Architecture", issue "lower layers a newcomer can walk"), checked on the
 * real import statements of src/: no import circles, a core that imports nothing of Fastify, pino or the Kubernetes
 * client, and folders that depend one way only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(new URL('../../src', import.meta.url).pathname);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []);
}

/** file (relative to src/) -> the modules it imports: relative ones resolved to files, packages by name. */
function importGraph(): Map<string, { files: string[]; packages: string[] }> {
  const graph = new Map<string, { files: string[]; packages: string[] }>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((match) => match[1]!);
    const files: string[] = [];
    const packages: string[] = [];
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) files.push(relative(SRC, resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))));
      else packages.push(specifier);
    }
    graph.set(relative(SRC, file), { files, packages });
  }
  return graph;
}

/** Every import circle (strongly connected component of more than one file, or a file importing itself). */
function circles(graph: Map<string, { files: string[] }>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const lowlinks = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    indices.set(node, index);
    lowlinks.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node)?.files ?? []) {
      if (!graph.has(next)) continue;
      if (!indices.has(next)) {
        visit(next);
        lowlinks.set(node, Math.min(lowlinks.get(node)!, lowlinks.get(next)!));
      } else if (onStack.has(next)) {
        lowlinks.set(node, Math.min(lowlinks.get(node)!, indices.get(next)!));
      }
    }
    if (lowlinks.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)!.files.includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

const folder = (file: string): string => file.split('/')[0]!;

describe('the import graph of src/', () => {
  const graph = importGraph();

  it('reads every source file and resolves every relative import to one', () => {
    expect(graph.size).toBeGreaterThan(50);
    const missing = [...graph].flatMap(([file, { files }]) => files.filter((target) => !graph.has(target)).map((target) => `${file} -> ${target}`));
    expect(missing).toEqual([]);
  });

  it('has no import circles', () => {
    expect(circles(graph)).toEqual([]);
  });

  /** What each lower folder may import besides itself: kube/ (Kubernetes primitives) nothing, config/ kube/ only. */
  const ALLOWED: Record<string, (target: string) => boolean> = {
    kube: () => false,
    config: (target) => folder(target) === 'kube',
    // The pure core: the primitives and the config's types, nothing else of the server.
    core: (target) => folder(target) === 'kube' || target === 'config/config-types.ts',
  };

  it.each(Object.keys(ALLOWED))('%s/ imports no framework, logger or Kubernetes client, and only the folders below it', (name) => {
    const offending = [...graph].filter(([file]) => folder(file) === name).flatMap(([file, { files, packages }]) => [
      ...packages.filter((pkg) => !pkg.startsWith('node:') && !(name === 'config' && pkg === 'yaml')).map((pkg) => `${file} -> ${pkg}`),
      ...files.filter((target) => folder(target) !== name && !ALLOWED[name]!(target)).map((target) => `${file} -> ${target}`),
    ]);
    expect(offending).toEqual([]);
  });

  it('folders depend one way: no two folders import each other', () => {
    const edges = new Set<string>();
    for (const [file, { files }] of graph) {
      for (const target of files) if (folder(target) !== folder(file)) edges.add(`${folder(file)} -> ${folder(target)}`);
    }
    const mutual = [...edges].filter((edge) => edges.has(edge.split(' -> ').reverse().join(' -> '))).sort();
    expect(mutual).toEqual([]);
  });
});
