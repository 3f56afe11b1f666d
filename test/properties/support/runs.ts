/**
 * Runs per property: enough to meet the generators' corner cases on every run while keeping each property
 * under a few seconds. PROPERTY_RUNS raises it for a deeper search (e.g. PROPERTY_RUNS=20000 before a release).
 */
export function runs(fallback: number): { numRuns: number } {
  const wanted = Number(process.env.PROPERTY_RUNS);
  return { numRuns: Number.isInteger(wanted) && wanted > 0 ? wanted : fallback };
}
