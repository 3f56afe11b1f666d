// Throughput: autocannon, closed loop over HTTPS keep-alive (each connection sends its next review as soon as the
// previous answer arrives), cycling through the given reviews. Every answer is checked.
import autocannon from 'autocannon';
import { Latencies } from './latencies.js';

/**
 * Drives `port` with `connections` keep-alive connections for `seconds` (or until `amount` answers) and returns
 * reviews/s, latency percentiles (µs-precise, from autocannon's per-response times, not its 1 ms histogram) and
 * errors: connection errors + timeouts + non-2xx + answers that lack the uid or the expected text.
 * `onProgress(answered)` is called about once a second. Latencies go into `latencies` when given (turns of one
 * server share one, see turns.js); the summary is of everything in it.
 */
export async function closedLoop({ port, path = '/mutate', reviews, connections, seconds, amount, checkExpect, onProgress, latencies = new Latencies() }) {
  let wrongAnswers = 0;
  const requests = reviews.map((review) => ({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: review.body,
    onResponse: (status, body) => {
      if (status === 200 && body.includes(review.uid) && (!checkExpect || body.includes(review.expect))) return;
      wrongAnswers++;
    },
  }));
  const options = { url: `https://127.0.0.1:${port}`, connections, requests, timeout: 10 };
  if (amount) options.amount = amount;
  else options.duration = seconds;
  const instance = autocannon(options);
  let answered = 0;
  instance.on('response', (_client, _status, _bytes, responseTime) => {
    latencies.add(responseTime);
    answered++;
  });
  const progress = onProgress ? setInterval(() => onProgress(answered), 1000) : undefined;
  const result = await instance;
  if (progress) clearInterval(progress);
  const elapsedSeconds = result.duration;
  return {
    connections,
    answered: result.requests.total,
    seconds: Math.round(elapsedSeconds * 100) / 100,
    rps: Math.round(result.requests.total / elapsedSeconds),
    latency: latencies.summary(),
    errors: result.errors + result.timeouts + result.non2xx + wrongAnswers,
    errorDetail: { connection: result.errors - result.timeouts, timeouts: result.timeouts, non2xx: result.non2xx, wrongAnswers },
  };
}
