// The table `npm run bench` prints.

const ms = (value) => (value === null || value === undefined ? '-' : value.toFixed(value < 10 ? 3 : 1));
const mb = (bytes) => (bytes === undefined || bytes === null ? '-' : (bytes / 1048576).toFixed(1));

function pad(cells, widths) {
  return cells.map((cell, i) => (i < 2 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join('  ');
}

/** Formats rows as an aligned text table (first two columns left-aligned). */
export function table(header, rows) {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => String(row[i]).length)));
  return [pad(header, widths), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((row) => pad(row, widths))].join('\n');
}

/** The HTTP rows: one per scenario and server. */
export function httpTable(runs) {
  const header = ['scenario', 'server', 'conns', 'rps', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'errors', 'RSS MB', 'vs floor', 'srv cpu', 'cpu µs/rev', 'cpu vs floor'];
  const rows = runs.map((run) => [
    run.scenario, run.server, run.connections, run.rps, ms(run.latency.p50), ms(run.latency.p99), ms(run.latency.p999),
    ms(run.latency.max), run.errors, mb(run.rssBytes), run.ratioToFloor === undefined ? '' : run.ratioToFloor.toFixed(2),
    `${Math.round(run.serverCpu * 100)}%`, run.cpuMicrosPerReview ?? '-',
    run.cpuRatioToFloor === undefined ? '' : run.cpuRatioToFloor.toFixed(2),
  ]);
  return table(header, rows);
}

export { mb, ms };
