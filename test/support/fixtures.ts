import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastJsonPatch from 'fast-json-patch';
import type { AdmissionInput } from '../../src/core/admission-input.js';
import type { Decision } from '../../src/core/decision-types.js';
import type { Pod, PersistentVolumeClaim, VolumeMount, Volume } from '../../src/kube/kube-types.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** A fresh copy of a fixture file under test/fixtures (each test mutates its own). */
export function fixture<T = Pod>(relativePath: string): T {
  return JSON.parse(readFileSync(FIXTURES + relativePath, 'utf8')) as T;
}

/** The AdmissionInput the API server would send for creating `object`. */
export function createInput(object: Pod | PersistentVolumeClaim, operation = 'CREATE'): AdmissionInput {
  const kind = (object.kind ?? 'Pod') as string;
  return {
    kind: { group: '', version: 'v1', kind },
    operation,
    namespace: object.metadata?.namespace ?? 'default',
    object,
  };
}

/**
 * Applies the decision's operations with RFC 6902 semantics (fast-json-patch, validating every operation) to a
 * copy of `object`, as the API server would, and returns the result.
 */
export function applyDecision<T>(object: T, decision: Decision): T {
  const copy = structuredClone(object);
  return fastJsonPatch.applyPatch(copy, decision.operations as fastJsonPatch.Operation[], true, false).newDocument;
}

/** The mounts of the container named `name`. */
export function mountsOf(pod: Pod, name: string): VolumeMount[] {
  return pod.spec?.containers?.find((container) => container.name === name)?.volumeMounts ?? [];
}

/** The volume mounted at `mountPath` in container `name`, or undefined. */
export function volumeAt(pod: Pod, name: string, mountPath: string): Volume | undefined {
  const mount = mountsOf(pod, name).find((candidate) => candidate.mountPath === mountPath);
  return mount ? pod.spec?.volumes?.find((volume) => volume.name === mount.name) : undefined;
}
