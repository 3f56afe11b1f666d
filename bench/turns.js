// Side by side on a noisy machine: the floor and the webhook take turns (a few seconds each, several rounds), and
// each server's turns are merged into one result. Whatever else the machine does during a stretch of time then falls
// on both servers alike, instead of on whichever happened to run in that stretch.
import { Latencies } from './latencies.js';

/**
 * Runs `runTurn(server, seconds, latencies)` for each of `servers` in turn, `turns` rounds of `seconds / turns` each,
 * and returns each server's turns merged by {@link mergeTurns}, in the order of `servers`. A turn's result is what
 * `measured()` in run.js returns; `latencies` is the server's, shared by all its turns.
 */
export async function inTurns(servers, { seconds, turns }, runTurn) {
  const perServer = servers.map(() => ({ latencies: new Latencies(), results: [] }));
  for (let round = 0; round < turns; round++) {
    for (const [i, server] of servers.entries()) {
      perServer[i].results.push(await runTurn(server, seconds / turns, perServer[i].latencies));
    }
  }
  return perServer.map(({ latencies, results }) => mergeTurns(results, latencies));
}

/**
 * One result for a server's turns: counts summed, rates over the summed time, CPU per review over the summed CPU
 * time, machine shares weighted by each turn's length, the latency percentiles over every sample of every turn, and
 * the RSS after the last turn.
 */
export function mergeTurns(results, latencies) {
  const sum = (pick) => results.reduce((total, result) => total + (pick(result) ?? 0), 0);
  const wall = sum((result) => result.wallSeconds);
  const answered = sum((result) => result.answered);
  const cpu = sum((result) => result.cpuSeconds);
  const weighted = (key) => Math.round((sum((result) => result[key] * result.wallSeconds) / wall) * 100) / 100;
  const errorDetail = {};
  for (const result of results) {
    for (const [key, value] of Object.entries(result.errorDetail ?? {})) {
      errorDetail[key] = key.startsWith('max') ? Math.max(errorDetail[key] ?? 0, value) : (errorDetail[key] ?? 0) + value;
    }
  }
  const last = results.at(-1);
  return {
    ...last,
    turns: results.length,
    answered,
    seconds: Math.round(sum((result) => result.seconds) * 100) / 100,
    rps: Math.round(answered / sum((result) => result.seconds)),
    latency: latencies.summary(),
    errors: sum((result) => result.errors),
    errorDetail,
    wallSeconds: wall,
    cpuSeconds: cpu,
    serverCpu: Math.round((cpu / wall) * 100) / 100,
    cpuMicrosPerReview: answered > 0 ? Math.round((cpu / answered) * 1e6 * 10) / 10 : null,
    loadgenCpu: weighted('loadgenCpu'),
    core0Busy: weighted('core0Busy'),
    core1Busy: weighted('core1Busy'),
  };
}
