/** What patchCaBundle needs from the API: read the configuration, JSON-patch it, and word a failed call. */
export interface WebhookConfigurationApi {
  read(): Promise<{ webhooks?: Array<{ name: string; clientConfig: { caBundle?: string } }> }>;
  patch(operations: object[]): Promise<unknown>;
  error(error: unknown, verb: 'get' | 'patch'): Error;
}

/** Writes `caBundle` into every webhook of the configuration; returns what it did, for stdout. */
export async function patchCaBundle(
  caBundle: string,
  name: string,
  api: WebhookConfigurationApi,
): Promise<string> {
  let configuration;
  try {
    configuration = await api.read();
  } catch (error) {
    throw api.error(error, 'get');
  }
  const webhooks = configuration.webhooks ?? [];
  if (webhooks.length === 0) throw new Error(`mutatingwebhookconfiguration/${name} has no webhooks to patch`);

  const stale = webhooks.flatMap((webhook, index) => (webhook.clientConfig.caBundle === caBundle ? [] : [index]));
  if (stale.length === 0) return `mutatingwebhookconfiguration/${name}: caBundle already up to date`;
  // The `test` on each name makes the patch fail rather than write into the wrong webhook if the list changed
  // between the read and the patch; `add` sets the member whether or not it exists (RFC 6902 4.1).
  const operations = stale.flatMap((index) => [
    { op: 'test', path: `/webhooks/${index}/name`, value: webhooks[index]!.name },
    { op: 'add', path: `/webhooks/${index}/clientConfig/caBundle`, value: caBundle },
  ]);
  try {
    await api.patch(operations);
  } catch (error) {
    throw api.error(error, 'patch');
  }
  const patched = stale.map((index) => webhooks[index]!.name).join(', ');
  return `mutatingwebhookconfiguration/${name}: caBundle set on ${patched}`;
}
