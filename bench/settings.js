// Settings shared by bench/run.js and bench/cluster-scale.js.

/** Extra node options for the webhook process (BENCH_WEBHOOK_NODE_OPTIONS, space-separated), to try runtime flags. */
export function webhookNodeOptions() {
  return (process.env.BENCH_WEBHOOK_NODE_OPTIONS ?? '').split(' ').filter((option) => option !== '');
}
