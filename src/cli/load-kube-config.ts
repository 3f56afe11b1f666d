import { delimiter } from 'node:path';

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
    throw new Error(`no cluster access: cannot load the kubeconfig (${errorText(error)})`, { cause: error });
  }
  return kubeConfig;
}

/** An error's message, with the cause undici hides the socket error in. */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici puts the socket error (ECONNREFUSED, ENOTFOUND, certificate errors) in `cause`.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
