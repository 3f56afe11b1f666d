// Latency at a fixed rate: an open-loop HTTPS/1.1 keep-alive client. Reviews are issued on a schedule (one every
// 1/rate s, round-robin over the given bodies) whether or not earlier ones have been answered, so a slow answer
// delays nothing else and cannot hide (no coordinated omission). autocannon's `overallRate` is not used for this:
// it sends each second's quota back to back at the start of the second, i.e. bursts at full speed.
import { connect } from 'node:tls';
import { Latencies } from './latencies.js';

const HEADER_END = Buffer.from('\r\n\r\n');

function requestBuffer(port, body) {
  const head = `POST /mutate HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), Buffer.from(body)]);
}

/** One keep-alive TLS connection carrying one review at a time; parses just enough HTTP/1.1 to find the end. */
class Connection {
  #port;
  #onAnswer;
  #onError;
  #socket;
  #buffer = Buffer.alloc(0);
  #expectedLength = -1;
  #bodyStart = 0;
  #status = 0;
  closed = false;
  /** The review in flight: { review, issuedAt }, or undefined when idle. */
  current = undefined;
  ready = false;

  constructor(port, onAnswer, onError) {
    this.#port = port;
    this.#onAnswer = onAnswer;
    this.#onError = onError;
    this.#open();
  }

  #open() {
    this.ready = false;
    const socket = connect({ host: '127.0.0.1', port: this.#port, rejectUnauthorized: false });
    socket.setNoDelay(true);
    this.#socket = socket;
    socket.on('secureConnect', () => {
      this.ready = true;
      this.#onAnswer(this, undefined);
    });
    socket.on('data', (chunk) => {
      if (socket === this.#socket) this.#data(chunk);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (socket !== this.#socket) return;
      if (this.closed) return;
      if (this.current) this.#onError(this, 'connection closed with a review in flight');
      this.current = undefined;
      this.#buffer = Buffer.alloc(0);
      this.#expectedLength = -1;
      this.#open();
    });
  }

  send(item, buffer) {
    this.current = item;
    this.#socket.write(buffer);
  }

  #data(chunk) {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    if (this.#expectedLength < 0) {
      const end = this.#buffer.indexOf(HEADER_END);
      if (end < 0) return;
      const head = this.#buffer.subarray(0, end).toString('latin1');
      this.#status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!length) {
        this.#onError(this, 'answer without Content-Length');
        this.#socket.destroy();
        return;
      }
      this.#bodyStart = end + 4;
      this.#expectedLength = this.#bodyStart + Number(length[1]);
    }
    if (this.#buffer.length < this.#expectedLength) return;
    const body = this.#buffer.subarray(this.#bodyStart, this.#expectedLength).toString('utf8');
    const status = this.#status;
    this.#buffer = this.#buffer.subarray(this.#expectedLength);
    this.#expectedLength = -1;
    const item = this.current;
    this.current = undefined;
    this.#onAnswer(this, { item, status, body });
  }

  close() {
    this.closed = true;
    this.#socket.destroy();
  }
}

/**
 * Sends `rate` reviews/s for `seconds` to `port` over up to `connections` keep-alive connections. A review's
 * latency runs from the moment it was queued to be sent (not when a connection became free) to the end of its
 * answer, so waiting for a free connection counts. Latencies go into `latencies` when given (see closedLoop).
 */
export async function openLoop({ port, reviews, rate, seconds, connections, checkExpect, latencies = new Latencies() }) {
  const buffers = reviews.map((review) => requestBuffer(port, review.body));
  const total = Math.round(rate * seconds);
  const queue = [];
  let issued = 0;
  let answered = 0;
  let errors = 0;
  let wrongAnswers = 0;
  let unexpected = 0;
  let idleClosed = 0;
  let maxQueue = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));

  const dispatch = (connection) => {
    const item = queue.shift();
    if (item) connection.send(item, buffers[item.index]);
  };
  const settle = () => {
    if (answered + errors >= total && issued >= total) done();
  };
  const onAnswer = (connection, answer) => {
    if (answer && !answer.item && answer.status === 408) {
      // The server's header timeout closing a connection that never carried a review (opened for a review that
      // another connection took first). Go's HTTP client, the API server's, ignores a 408 on an idle connection
      // (golang/go#32310); so does this one: the connection closes and is opened again when needed.
      idleClosed++;
    } else if (answer && !answer.item) {
      // Any other answer to nothing sent: an error, shown once, never a crash.
      unexpected++;
      errors++;
      if (unexpected === 1) process.stderr.write(`open-loop: answer with no review in flight: ${answer.status} ${answer.body.slice(0, 200)}\n`);
    } else if (answer) {
      const latencyMs = performance.now() - answer.item.queuedAt;
      const review = reviews[answer.item.index];
      const ok = answer.status === 200 && answer.body.includes(review.uid) && (!checkExpect || answer.body.includes(review.expect));
      if (ok) {
        latencies.add(latencyMs);
        answered++;
      } else {
        wrongAnswers++;
        errors++;
      }
      settle();
    }
    if (connection.ready && !connection.current) dispatch(connection);
  };
  const onError = () => {
    errors++;
    settle();
  };
  // Connections are opened when a review finds none free, up to `connections`, as the API server's HTTP client
  // does: a connection opened ahead and left unused would be cut by the server's header timeout (slow-loris guard).
  const pool = [];
  const openMore = () => {
    let opening = pool.filter((connection) => !connection.ready).length;
    while (queue.length > opening && pool.length < connections) {
      pool.push(new Connection(port, onAnswer, onError));
      opening++;
    }
  };

  const intervalMs = 1000 / rate;
  const start = performance.now();
  const tick = () => {
    const now = performance.now();
    while (issued < total && start + issued * intervalMs <= now) {
      // Timed from now, when the generator woke to send it (timer lateness is the generator's, on its own core).
      queue.push({ index: issued % buffers.length, queuedAt: now });
      issued++;
    }
    maxQueue = Math.max(maxQueue, queue.length);
    for (const connection of pool) {
      if (queue.length === 0) break;
      if (connection.ready && !connection.current) dispatch(connection);
    }
    if (queue.length > 0) openMore();
    if (issued >= total) clearInterval(timer);
  };
  const timer = setInterval(tick, Math.max(1, Math.floor(intervalMs)));
  const timeout = setTimeout(() => {
    errors += total - answered - errors;
    done();
  }, (seconds + 30) * 1000);
  await finished;
  clearTimeout(timeout);
  clearInterval(timer);
  const elapsed = (performance.now() - start) / 1000;
  for (const connection of pool) connection.close();
  return {
    rate, connections, connectionsOpened: pool.length, issued, answered, seconds: Math.round(elapsed * 100) / 100,
    rps: Math.round(answered / elapsed),
    latency: latencies.summary(),
    errors,
    errorDetail: { wrongAnswers, unexpected, connection: errors - wrongAnswers - unexpected, maxQueued: maxQueue, idleConnectionsClosedBy408: idleClosed },
  };
}
