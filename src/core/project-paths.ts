import { isCleanAbsolutePath, normalizeMountPath } from '../kube/mount-path.js';

/** Pod annotation naming the workspace's project directories; it replaces `tmpfs.projects` for that pod. */
export const PROJECTS_ANNOTATION = 'workspace-storage.dev/projects';

/** Project paths for a pod and the problems met reading them. */
export interface ProjectPaths {
  readonly paths: readonly string[];
  readonly problems: readonly string[];
}

/**
 * The project paths named by a value of {@link PROJECTS_ANNOTATION} (comma-separated absolute paths; an empty value
 * means "no projects", an explicit opt-out), distinct and normalized, in order. Entries that are not clean absolute
 * paths are dropped with a problem the caller turns into a warning.
 */
export function parseProjectsAnnotation(value: string): ProjectPaths {
  const paths: string[] = [];
  const problems: string[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    if (!isCleanAbsolutePath(entry)) {
      problems.push(`ignored project path "${entry.slice(0, 60)}" in ${PROJECTS_ANNOTATION}: not a clean absolute path`);
      continue;
    }
    const path = normalizeMountPath(entry);
    if (!paths.includes(path)) paths.push(path);
  }
  return { paths, problems };
}
