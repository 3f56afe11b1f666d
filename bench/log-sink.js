// The webhook's stdout, read as a container runtime reads it: through a pipe, on another core (this process, the
// load generator's). Counts the audit lines, so the benchmark can check that every answered review was logged,
// and keeps the other lines (start-up, warnings, errors) for the report.

const AUDIT = Buffer.from('"msg":"admission review"}');

// `--trace-gc` lines of full collections: "Mark-Compact <before> (<committed>) -> <after> (<committed>) MB".
const FULL_GC = /Mark-Compact[^\n]*? ([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB/g;

/** How many line ends `chunk` holds. */
function newlines(chunk) {
  let count = 0;
  for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) count++;
  return count;
}

/** Reads `stream` to the end, counting audit lines (and, with `traceGc`, recording full collections). */
export class LogSink {
  auditLines = 0;
  /** Lines that are not audit lines (the first 200). */
  otherLines = [];
  /** With --trace-gc: { auditLines, liveMB, committedMB } after each full (mark-compact) collection. */
  fullGcs = [];
  #partial = '';
  #gcTail = '';

  constructor(stream, { traceGc = false } = {}) {
    stream.on('data', (chunk) => {
      this.#read(chunk);
      if (traceGc) this.#gcLines(chunk);
    });
  }

  #gcLines(chunk) {
    const text = this.#gcTail + chunk.toString('latin1');
    const end = text.lastIndexOf('\n') + 1;
    for (const match of text.slice(0, end).matchAll(FULL_GC)) {
      this.fullGcs.push({ auditLines: this.auditLines, liveMB: Number(match[3]), committedMB: Number(match[4]) });
    }
    this.#gcTail = text.slice(end).slice(-4096);
  }

  #read(chunk) {
    let inChunk = 0;
    let at = chunk.indexOf(AUDIT);
    while (at >= 0) {
      inChunk++;
      at = chunk.indexOf(AUDIT, at + AUDIT.length);
    }
    this.auditLines += inChunk;
    // A pattern split across two chunks: check the seam.
    const seam = this.#partial + chunk.subarray(0, AUDIT.length - 1).toString('latin1');
    if (this.#partial && seam.includes(AUDIT.toString('latin1'))) this.auditLines++;
    this.#partial = chunk.subarray(Math.max(0, chunk.length - AUDIT.length + 1)).toString('latin1');
    // Splitting every chunk into lines would cost this process (the load generator's core) more than counting:
    // only a chunk with more lines than audit lines in it can hold another line.
    if (this.otherLines.length < 200 && newlines(chunk) > inChunk) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line && !line.includes('"msg":"admission review"') && this.otherLines.length < 200) this.otherLines.push(line.slice(0, 500));
      }
    }
  }

  /** Waits until at least `count` audit lines arrived (the logger writes in batches), or `timeoutMs`. */
  async waitFor(count, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    while (this.auditLines < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    return this.auditLines;
  }
}
