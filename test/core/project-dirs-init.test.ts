import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.js';
import { decide } from '../../src/core/decide.js';
import type { Container, Pod } from '../../src/kube/kube-types.js';
import { PROJECT_DIRS_CONTAINER } from '../../src/core/project-dirs-init.js';
import { podRuleViolations } from '../support/api-rules.js';
import { applyDecision, createInput, fixture } from '../support/fixtures.js';
import { InMemoryClusterFacts } from '../support/in-memory-cluster-facts.js';

const facts = new InMemoryClusterFacts();
// Envbox and podman pods carry no labels: they are workspaces in namespaces labelled workspaces=all (scope 'namespace').
const annotated = (path: string, projects: string): Pod => {
  const pod = fixture<Pod>(path);
  pod.metadata = { ...pod.metadata, annotations: { ...pod.metadata?.annotations, 'workspace-storage.dev/projects': projects } };
  return pod;
};
const initOf = (pod: Pod): Container | undefined => pod.spec?.initContainers?.find((init) => init.name === PROJECT_DIRS_CONTAINER);
const RESTRICTED = { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };

describe('project directories created as the workspace user before it starts', () => {
  it.each([
    ['kubernetes template (uid 1000): the workspace image makes /home/coder/app on the home volume',
      () => annotated('pods/coder-kubernetes-template.json', '/home/coder/app'), {}, {
        image: 'codercom/enterprise-base:ubuntu', imagePullPolicy: 'Always', command: ['mkdir', '-p', '/home/coder/app'],
        volumeMounts: [{ name: 'home', mountPath: '/home/coder' }], securityContext: { runAsUser: 1000, ...RESTRICTED },
      }],
    ['podman (pod-level runAsUser 1000, home /home/podman): two projects, one mount',
      () => annotated('pods/coder-podman.json', '/home/podman/web,/home/podman/api'), {}, {
        image: 'ghcr.io/coder/podman:ubuntu', command: ['mkdir', '-p', '/home/podman/web', '/home/podman/api'],
        volumeMounts: [{ name: 'home-directory', mountPath: '/home/podman' }], securityContext: { runAsUser: 1000, ...RESTRICTED },
      }],
    ['a configured image instead of the workspace\'s (no pull policy copied)',
      () => annotated('pods/coder-kubernetes-template.json', '/home/coder/app'), { projectDirsImage: 'busybox:1.36' }, {
        image: 'busybox:1.36', command: ['mkdir', '-p', '/home/coder/app'],
      }],
    ['a home on a subPath (envbox\'s layout, run as uid 1000): the same subPath',
      () => {
        const pod = annotated('pods/coder-envbox.json', '/home/coder/app');
        pod.spec!.containers![0]!.securityContext = { runAsUser: 1000, runAsGroup: 1000 };
        return pod;
      }, {}, {
        volumeMounts: [{ name: 'home', mountPath: '/home/coder', subPath: 'home' }],
        securityContext: { runAsUser: 1000, runAsGroup: 1000, ...RESTRICTED },
      }],
  ] as const)('%s', (_name, make, tmpfs, expected) => {
    const pod = make();
    const config = parseConfig({ tmpfs });
    const patched = applyDecision(pod, decide(createInput(pod), config, facts, 'namespace'));
    const init = initOf(patched);
    expect(init).toMatchObject(expected);
    if ('projectDirsImage' in tmpfs) expect(init?.imagePullPolicy).toBeUndefined();
    expect(init?.resources).toEqual({ requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } });
    expect(podRuleViolations(patched)).toEqual([]);
    expect(decide(createInput(patched), config, facts, 'namespace').operations).toEqual([]);
  });

  it.each([
    ['envbox (privileged, runs as root, no runAsUser)', () => annotated('pods/coder-envbox.json', '/home/coder/app'), {}, /sets no runAsUser/],
    ['devcontainer (envbuilder, a scratch image, no runAsUser)', () => annotated('pods/coder-devcontainer.json', '/workspaces/app'), {}, /sets no runAsUser/],
    ['runAsUser 0', () => {
      const pod = annotated('pods/coder-kubernetes-template.json', '/home/coder/app');
      pod.spec!.containers![0]!.securityContext!.runAsUser = 0;
      return pod;
    }, {}, /runs as root/],
    ['home mounted read-only', () => {
      const pod = annotated('pods/coder-kubernetes-template.json', '/home/coder/app');
      pod.spec!.containers![0]!.volumeMounts![0]!.readOnly = true;
      return pod;
    }, {}, /read-only/],
    ['createProjectDirs: false', () => annotated('pods/coder-kubernetes-template.json', '/home/coder/app'), { createProjectDirs: false }, undefined],
  ] as const)('none for %s', (_name, make, tmpfs, why) => {
    const pod = make();
    const decision = decide(createInput(pod), parseConfig({ tmpfs }), facts, 'namespace');
    expect(initOf(applyDecision(pod, decision))).toBeUndefined();
    if (why) expect(decision.notes.join('\n')).toMatch(why);
  });

  it('appends after the pod\'s own init containers', () => {
    const pod = annotated('pods/coder-bare-pod.json', '/home/coder/app');
    pod.spec!.securityContext = { runAsUser: 1000 };
    const patched = applyDecision(pod, decide(createInput(pod), parseConfig({}), facts));
    expect(patched.spec!.initContainers!.map((init) => init.name)).toEqual(['chown-home', PROJECT_DIRS_CONTAINER]);
  });
});
