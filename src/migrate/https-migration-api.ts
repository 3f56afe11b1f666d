import { ApiError } from '../cluster/list-watch/api-transport.js';
import type { HttpsApiTransport } from '../cluster/list-watch/https-api-transport.js';
import type { MigrationApi } from './run-migration.js';
import { asObject } from '../kube/json-value.js';

type Json = Record<string, unknown>;

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
    async list(path) {
      const items: Json[] = [];
      let next = '';
      do {
        const separator = path.includes('?') ? '&' : '?';
        const page = asObject(await transport.getJson(`${path}${separator}limit=500${next ? `&continue=${encodeURIComponent(next)}` : ''}`, signal()));
        for (const item of Array.isArray(page.items) ? page.items : []) items.push(asObject(item));
        const metadata = asObject(page.metadata);
        next = typeof metadata.continue === 'string' ? metadata.continue : '';
      } while (next !== '');
      return items;
    },
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
