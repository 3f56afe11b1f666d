import { delimiter } from 'node:path';
import { messageWithCause } from './message-with-cause.js';

/** KUBECONFIG (all files, merged), else ~/.kube/config, else the in-cluster service account. */
export function loadKubeConfig(
  k8s: typeof import('@kubernetes/client-node'),
  env: NodeJS.ProcessEnv,
): import('@kubernetes/client-node').KubeConfig {
  const kubeConfig = new k8s.KubeConfig();
  try {
    const kubeconfigFiles = (env.KUBECONFIG ?? '').split(delimiter).filter((file) => file !== '');
    if (kubeconfigFiles.length > 0) {
      // The same merge as loadFromDefault, but honouring the `env` given rather than process.env.
      const [first, ...rest] = kubeconfigFiles;
      kubeConfig.loadFromFile(first!);
      for (const file of rest) {
        const next = new k8s.KubeConfig();
        next.loadFromFile(file);
        kubeConfig.mergeConfig(next);
      }
    } else {
      kubeConfig.loadFromDefault();
    }
  } catch (error) {
    throw new Error(`no cluster access: cannot load the kubeconfig (${messageWithCause(error)})`, { cause: error });
  }
  return kubeConfig;
}
