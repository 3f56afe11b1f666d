import type { Config, TmpfsDir } from '../config/config-types.js';
import { boundedMemo } from '../kube/bounded-memo.js';
import { joinPath } from '../kube/mount-path.js';
import { parseProjectsAnnotation, PROJECTS_ANNOTATION } from './project-paths.js';

/** One directory to put on tmpfs: the absolute target path and the configured directory it comes from. */
export interface TmpfsTarget {
  /** Normalized absolute path `<project>/<dir.name>`. */
  readonly path: string;
  /** The project path it is under. */
  readonly project: string;
  readonly dir: TmpfsDir;
}

/** The tmpfs targets for a pod, distinct, in project-then-directory order, and the problems met finding them. */
export interface TmpfsTargets {
  readonly targets: readonly TmpfsTarget[];
  /** Annotation entries that were ignored, as warnings for the user. */
  readonly problems: readonly string[];
}

type TmpfsSection = Config['tmpfs'];

/** What one tmpfs section yields: for the configured projects, and per value of the projects annotation. */
interface SectionTargets {
  readonly configured: TmpfsTargets;
  readonly forAnnotation: (value: string) => TmpfsTargets;
}

function targetsOf(projects: readonly string[], dirs: readonly TmpfsDir[], problems: readonly string[]): TmpfsTargets {
  const targets: TmpfsTarget[] = [];
  const seen = new Set<string>();
  for (const project of projects) {
    for (const dir of dirs) {
      const path = joinPath(project, dir.name);
      if (seen.has(path)) continue;
      seen.add(path);
      targets.push({ path, project, dir });
    }
  }
  // Shared between reviews, so never mutated, but not frozen: the readonly types guard them, and V8 iterates a
  // frozen array with for-of through the generic iterator, allocating a result object per element.
  return { targets, problems };
}

/**
 * Targets depend only on the tmpfs section and the annotation value, not on the pod, so they are worked out once
 * per section (and annotation value) instead of on every review. The section is deeply frozen by parseConfig,
 * which is what makes its identity a sound key; a WeakMap lets a replaced configuration take its entry with it.
 */
const BY_SECTION = new WeakMap<TmpfsSection, SectionTargets>();

function sectionTargets(tmpfs: TmpfsSection): SectionTargets {
  let known = BY_SECTION.get(tmpfs);
  if (known === undefined) {
    known = {
      configured: targetsOf(tmpfs.projects, tmpfs.dirs, []),
      forAnnotation: boundedMemo((value) => {
        const projects = parseProjectsAnnotation(value);
        return targetsOf(projects.paths, tmpfs.dirs, projects.problems);
      }, { limit: 64, maxKeyLength: 4096 }),
    };
    BY_SECTION.set(tmpfs, known);
  }
  return known;
}

/**
 * The tmpfs targets for a pod with `annotations`: every configured directory under every project path, the
 * projects coming from the `workspace-storage.dev/projects` annotation when present, else from `tmpfs.projects`.
 * The result is shared between calls: read it, never change it.
 */
export function tmpfsTargetsFor(annotations: Readonly<Record<string, unknown>> | undefined, tmpfs: TmpfsSection): TmpfsTargets {
  const section = sectionTargets(tmpfs);
  const value = annotations?.[PROJECTS_ANNOTATION];
  return typeof value === 'string' ? section.forAnnotation(value) : section.configured;
}
