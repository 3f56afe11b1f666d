import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import { CertificateFileError } from './certificate-file-error.js';
import { expiryStatus, logCertificateExpiry } from './certificate-expiry.js';
import { pairDigest, readPairFiles, validateCertificatePair, type CertificatePair } from './certificate-pair.js';
import type { CertificatePaths } from './certificate-paths.js';
import { errorText } from '../logging/error-text.js';

/** What {@link CertificateReloader} needs. */
export interface CertificateReloaderOptions {
  readonly paths: CertificatePaths;
  /** The pair the server started with (from `loadCertificates`): not reported again as a change. */
  readonly initial: CertificatePair;
  readonly logger: Logger;
  /**
   * Called with each new valid pair. The server calls `server.setSecureContext({ ...tlsOptions, key, cert })`
   * (https://nodejs.org/api/tls.html#serversetsecurecontextoptions): new handshakes use the new pair, established
   * connections and requests in flight keep theirs. Pass every TLS option again: an option left out falls back
   * to Node's default (checked on Node 24: a server created with minVersion TLSv1.3 accepts TLSv1.2 after
   * `setSecureContext({ key, cert })`). Throwing here rejects the pair (logged; the old one keeps serving).
   */
  readonly onReload: (pair: CertificatePair) => void;
  /** Poll period; default 1000 ms. */
  readonly intervalMs?: number;
  /** Also react to fs.watch events on the directory (a faster trigger; polling stays the safety net). Default true. */
  readonly watch?: boolean;
  /** Clock for the expiry checks (tests). */
  readonly now?: () => Date;
}

/** Outcome of one {@link CertificateReloader.check}. */
export type ReloadOutcome = 'unchanged' | 'reloaded' | 'rejected';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Lets the kubelet finish a Secret update (it renames `..data` last) before an fs.watch event triggers a read. */
const WATCH_DEBOUNCE_MS = 100;
/** Pause before the second look at a pair that failed validation. */
const SETTLE_MS = 100;

/**
 * Puts renewed serving certificates into use without a restart. Each poll reads `tls.crt` and `tls.key` and
 * compares a digest of their contents with the pair in use: content, not mtime, because a Secret volume update
 * swaps the `..data` symlink and leaves the files' own timestamps meaningless, and a rewrite with the same
 * content is not a change. A changed pair that does not validate (half-written, key not matching, expired) is
 * logged once with the path and the reason and otherwise ignored: the previous pair keeps serving, and a later
 * poll picks up the completed write.
 */
export class CertificateReloader {
  readonly #paths: CertificatePaths;
  readonly #logger: Logger;
  readonly #onReload: (pair: CertificatePair) => void;
  readonly #intervalMs: number;
  readonly #watch: boolean;
  readonly #now: () => Date;
  #current: CertificatePair;
  /** Identifies the last rejected state, so a rejected pair is logged once and not on every poll. */
  #rejected: string | undefined;
  #lastExpiryCheck: number;
  #state: 'idle' | 'running' | 'stopped' = 'idle';
  #timer: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #watcher: FSWatcher | undefined;
  #inFlight: Promise<ReloadOutcome> | undefined;
  #checkAgain = false;

  constructor(options: CertificateReloaderOptions) {
    this.#paths = options.paths;
    this.#logger = options.logger;
    this.#onReload = options.onReload;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#watch = options.watch ?? true;
    this.#now = options.now ?? (() => new Date());
    this.#current = options.initial;
    this.#lastExpiryCheck = this.#now().getTime();
  }

  /** The pair in use: its `notAfter` feeds the certificate expiry metric. */
  get current(): CertificatePair {
    return this.#current;
  }

  /** Starts polling (and watching). Timers are unref'd: they never keep the process alive on their own. */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    if (this.#watch) this.#startWatching();
    this.#schedule();
  }

  /** Stops polling and watching; a check already reading files applies nothing once it completes. */
  stop(): void {
    this.#state = 'stopped';
    clearTimeout(this.#timer);
    clearTimeout(this.#debounce);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  /**
   * Reads the files once and applies a valid changed pair. A call while a check runs gets that check's outcome
   * and queues one more check, since the running one may have read the files before the change it is told of.
   */
  check(): Promise<ReloadOutcome> {
    if (this.#inFlight !== undefined) {
      this.#checkAgain = true;
      return this.#inFlight;
    }
    this.#inFlight = this.#checkOnce().finally(() => {
      this.#inFlight = undefined;
      if (this.#checkAgain && this.#state !== 'stopped') {
        this.#checkAgain = false;
        void this.check();
      }
    });
    return this.#inFlight;
  }

  async #checkOnce(): Promise<ReloadOutcome> {
    let candidate = await this.#readCandidate();
    if (candidate.digest === this.#current.digest) {
      this.#rejected = undefined;
      this.#periodicExpiryCheck();
      return 'unchanged';
    }
    if (candidate.digest === this.#rejected) return 'rejected';
    if (!candidate.ok) {
      // Reading tls.crt and tls.key is two reads: one can land on each side of a symlink swap or of a
      // non-atomic writer's two writes. Look again once before calling the pair bad.
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS).unref());
      candidate = await this.#readCandidate();
      if (candidate.digest === this.#current.digest) return 'unchanged';
    }
    if (this.#state === 'stopped') return 'unchanged';
    if (!candidate.ok) return this.#reject(candidate.error, candidate.digest);

    const { pair } = candidate;
    try {
      this.#onReload(pair);
    } catch (error) {
      return this.#reject(error, pair.digest);
    }
    const previous = this.#current;
    this.#current = pair;
    this.#rejected = undefined;
    const notAfter = pair.notAfter.toISOString();
    const previousNotAfter = previous.notAfter.toISOString();
    this.#logger.info({ path: this.#paths.cert, notAfter, previousNotAfter }, 'serving certificate reloaded');
    this.#logExpiry();
    return 'reloaded';
  }

  /**
   * Reads and validates the files. `digest` identifies what was read: the pair's content digest, or the failure
   * itself when the files could not be read, so that an unchanged failure is recognised and logged once.
   */
  async #readCandidate(): Promise<
    { ok: true; digest: string; pair: CertificatePair } | { ok: false; digest: string; error: unknown }
  > {
    const paths = this.#paths;
    let contents;
    try {
      contents = await readPairFiles(paths);
    } catch (error) {
      return { ok: false, digest: `unreadable: ${String(error)}`, error };
    }
    const digest = pairDigest(contents.cert, contents.key);
    if (digest === this.#current.digest) return { ok: true, digest, pair: this.#current };
    try {
      const pair = validateCertificatePair(contents, paths);
      if (expiryStatus(pair.notAfter, this.#now()).expired) {
        throw new CertificateFileError(paths.cert, `certificate expired at ${pair.notAfter.toISOString()}`);
      }
      return { ok: true, digest, pair };
    } catch (error) {
      return { ok: false, digest, error };
    }
  }

  #reject(error: unknown, rejectionKey: string): ReloadOutcome {
    if (this.#rejected !== rejectionKey) {
      this.#rejected = rejectionKey;
      // Path and reason only: a CertificateFileError carries no file content, and neither do fs or OpenSSL errors.
      const fields =
        error instanceof CertificateFileError
          ? { path: error.path, reason: error.reason }
          : { path: this.#paths.dir, reason: errorText(error) };
      this.#logger.warn(
        { ...fields, servingNotAfter: this.#current.notAfter.toISOString() },
        'changed certificate files rejected; still serving the previous certificate',
      );
    }
    return 'rejected';
  }

  /** A certificate that was fine at start-up can enter the warning window without any file changing. */
  #periodicExpiryCheck(): void {
    if (this.#now().getTime() - this.#lastExpiryCheck < DAY_MS) return;
    this.#logExpiry();
  }

  #logExpiry(): void {
    const now = this.#now();
    this.#lastExpiryCheck = now.getTime();
    logCertificateExpiry(this.#logger, { path: this.#paths.cert, notAfter: this.#current.notAfter }, now);
    if (this.#current.caNotAfter !== undefined) {
      logCertificateExpiry(this.#logger, { path: this.#paths.caCert, notAfter: this.#current.caNotAfter }, now);
    }
  }

  #schedule(): void {
    if (this.#state !== 'running') return;
    this.#timer = setTimeout(() => {
      void this.check().finally(() => { this.#schedule(); });
    }, this.#intervalMs);
    this.#timer.unref();
  }

  #startWatching(): void {
    try {
      // Watch the directory, not the files: a Secret update replaces the `..data` symlink, and a watch on a
      // replaced file would go on watching the old inode.
      this.#watcher = watch(this.#paths.dir, { persistent: false }, () => { this.#onWatchEvent(); });
      this.#watcher.on('error', (error) => { this.#stopWatching(error); });
    } catch (error) {
      this.#stopWatching(error);
    }
  }

  #stopWatching(error: unknown): void {
    // fs.watch is only the fast path (it can fail, e.g. out of inotify watches); polling carries on.
    this.#logger.debug({ path: this.#paths.dir, err: error }, 'fs.watch unavailable; relying on polling');
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #onWatchEvent(): void {
    if (this.#state !== 'running') return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.check(), WATCH_DEBOUNCE_MS);
    this.#debounce.unref();
  }
}
