/**
 * A long-running child process (etcd, kube-apiserver, ...) whose output goes to
 * a log file, that can be stopped and restarted, and that never outlives the
 * test process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync } from 'node:fs';

/** Every child still running, killed when the test process exits. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is the only thing we can do there.
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * util-linux's setpriv can set PR_SET_PDEATHSIG before exec'ing the real binary:
 * the kernel then kills the child if the test process dies without running its
 * 'exit' handlers (SIGKILL, a crashed worker). setpriv execs, so the PID is the
 * binary's own.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options for {@link ManagedProcess}. */
export interface ManagedProcessOptions {
  /** Short name used in error messages ("etcd", "kube-apiserver"). */
  name: string;
  command: string;
  args: string[];
  /** stdout and stderr are appended here, across restarts. */
  logPath: string;
  env?: NodeJS.ProcessEnv;
}

/** A child process with its output in a log file. */
export class ManagedProcess {
  readonly name: string;
  readonly logPath: string;
  private child: ChildProcess | undefined;
  private exitPromise: Promise<ProcessExit> | undefined;
  private lastExit: ProcessExit | undefined;

  constructor(private readonly opts: ManagedProcessOptions) {
    this.name = opts.name;
    this.logPath = opts.logPath;
  }

  /** True from {@link start} until the process has exited. */
  get running(): boolean {
    return this.child !== undefined && this.lastExit === undefined;
  }

  /** How the last run ended, if it has. */
  get exit(): ProcessExit | undefined {
    return this.lastExit;
  }

  /** Spawns the process. Throws if it is already running. */
  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    installExitHook();
    const fd = openSync(this.opts.logPath, 'a');
    const [command, args] = SETPRIV
      ? [SETPRIV, ['--pdeathsig', 'KILL', '--', this.opts.command, ...this.opts.args]]
      : [this.opts.command, this.opts.args];
    let child: ChildProcess;
    try {
      child = spawn(command, args, { stdio: ['ignore', fd, fd], env: this.opts.env ?? process.env });
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(fd);
    }
    this.child = child;
    this.lastExit = undefined;
    live.add(child);
    this.exitPromise = new Promise<ProcessExit>((resolve) => {
      const done = (exit: ProcessExit): void => {
        live.delete(child);
        if (this.child === child) this.lastExit = exit;
        resolve(exit);
      };
      child.once('exit', (code, signal) => done({ code, signal }));
      // spawn failures (ENOENT, EACCES) emit 'error' and no 'exit'.
      child.once('error', (err) => {
        this.appendNote(`spawn failed: ${err.message}`);
        done({ code: -1, signal: null });
      });
    });
  }

  /**
   * Sends SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone.
   * A no-op when it is not running.
   */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    const exited = this.exitPromise;
    if (!child || !exited || !this.running) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([exited, killed]);
    clearTimeout(timer);
    await exited;
  }

  /** The last `lines` lines of the log, for error messages. */
  tail(lines = 40): string {
    let text: string;
    try {
      text = readFileSync(this.logPath, 'utf8');
    } catch {
      return '(no log)';
    }
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /**
   * The part of the log that explains a failure: from the first Go crash line
   * ("panic: ", "fatal error: ", "unexpected fault address") when there is one,
   * since a crash dump's tail is just the last goroutine's stack; else the tail.
   */
  excerpt(lines = 40): string {
    let text: string;
    try {
      text = readFileSync(this.logPath, 'utf8');
    } catch {
      return '(no log)';
    }
    const all = text.trimEnd().split('\n');
    const crashAt = all.findIndex((line) => /^(panic: |fatal error: |unexpected fault address)/.test(line));
    if (crashAt < 0) return all.slice(-lines).join('\n');
    const shown = all.slice(crashAt, crashAt + lines);
    const rest = all.length - crashAt - shown.length;
    return shown.join('\n') + (rest > 0 ? `\n... (${rest} more lines in ${this.logPath})` : '');
  }

  /** A one-line description of the state, for error messages. */
  describe(): string {
    const exit = this.lastExit;
    if (!this.child) return `${this.name}: not started`;
    if (!exit) return `${this.name}: running (pid ${this.child.pid ?? '?'})`;
    return `${this.name}: exited (code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'})`;
  }

  private appendNote(note: string): void {
    try {
      appendFileSync(this.logPath, `[harness] ${note}\n`);
    } catch {
      // Best effort: the exit itself is reported anyway.
    }
  }
}
