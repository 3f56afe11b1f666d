import { ApiError } from '../cluster/list-watch/api-transport.js';
import type { HttpsApiTransport } from '../cluster/list-watch/https-api-transport.js';
import { listAllPages } from '../cluster/list-watch/list-all-pages.js';
import type { MigrationApi } from './run-migration.js';
import { asObject } from '../kube/json-value.js';

/** {@link MigrationApi} over the transport `report` and the server use (cluster access found the same way). */
export function httpsMigrationApi(transport: HttpsApiTransport, timeoutMs = 60_000): MigrationApi {
  const signal = (): AbortSignal => AbortSignal.timeout(timeoutMs);
  return {
    async get(path) {
      try {
        return asObject(await transport.getJson(path, signal()));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    list: (path) => listAllPages(transport, path, signal()),
    async create(path, body) {
      return asObject(await transport.send('POST', path, body, signal()));
    },
    async patch(path, patch) {
      return asObject(await transport.send('PATCH', path, patch, signal(), 'application/merge-patch+json'));
    },
    async delete(path) {
      try {
        await transport.send('DELETE', path, undefined, signal());
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
      }
    },
  };
}
