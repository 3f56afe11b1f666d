import { defineConfig } from 'vitest/config';

/**
 * Two projects: fast unit/HTTP suites in parallel (`npm run test:unit`), then the end-to-end suites one file at a
 * time (each starts a real etcd + kube-apiserver + kube-controller-manager; several at once would starve a 2-core
 * machine).
 */
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.e2e.test.ts', 'node_modules/**'],
          globalSetup: ['test/support/temp-root-global-setup.ts'],
          testTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e.test.ts'],
          // Builds the cluster binaries when they are missing (once, then cached), so e2e suites never skip.
          globalSetup: ['test/support/temp-root-global-setup.ts', 'test/e2e/harness/provision-global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
