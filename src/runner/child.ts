import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { StageSecretsError } from '../core/errors.js';
import { spawnTarget } from './command-line.js';
import { MaskAutomaton, Masker } from './masker.js';
import { signalExitCode, type SignalRelay } from './signals.js';

/**
 * Default pause after which held bytes that already complete a value (and may still continue into a
 * longer one) are written as `***`. Bytes that may begin a value are never written in clear on a pause.
 */
export const DEFAULT_FLUSH_MS = 50;

/**
 * After the child exits, its output pipes normally end at once. A background process it started
 * may keep them open; once they have been idle this long, they are closed so the runner can exit.
 */
const IDLE_AFTER_EXIT_MS = 1000;

export interface ChildSpec {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /**
   * The texts to mask, asked for at the first output byte (working them out costs ms per thousand
   * secrets, which a quiet child should not pay); undefined runs the child on the runner's own
   * stdout/stderr, unmasked.
   */
  mask?: () => readonly string[];
  flushMs?: number;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  relay: SignalRelay;
}

/** Runs the child to its end. Resolves to its exit code (128+n when killed by signal n). */
export function runChild(spec: ChildSpec): Promise<number> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      const target = spawnTarget(spec.command, spec.args, { platform: process.platform, env: spec.env, cwd: spec.cwd });
      child = spawn(target.file, target.args, {
        cwd: spec.cwd,
        env: spec.env,
        stdio: spec.mask ? ['inherit', 'pipe', 'pipe'] : 'inherit',
        windowsVerbatimArguments: target.windowsVerbatimArguments,
      });
    } catch (err) {
      reject(startError(spec.command, err));
      return;
    }
    spec.relay.attach(child);
    let started = false;
    let exitCode: number | undefined;
    let pumpsLeft = 0;
    const pumps: Pump[] = [];
    const finish = (): void => {
      if (exitCode !== undefined && pumpsLeft === 0) resolve(exitCode);
    };
    child.once('spawn', () => {
      started = true;
    });
    child.once('error', (err) => {
      if (started) return; // a failed kill(); the exit still follows
      for (const pump of pumps) pump.abort();
      reject(startError(spec.command, err));
    });
    if (spec.mask && child.stdout && child.stderr) {
      const patterns = spec.mask;
      let automaton: MaskAutomaton | undefined; // built once, at the first byte of either stream
      const makeMasker = (): Masker => new Masker((automaton ??= new MaskAutomaton(patterns())));
      for (const [source, target] of [
        [child.stdout, spec.stdout],
        [child.stderr, spec.stderr],
      ] as const) {
        pumpsLeft++;
        pumps.push(
          new Pump(source, target, makeMasker, spec.flushMs ?? DEFAULT_FLUSH_MS, () => {
            pumpsLeft--;
            finish();
          }),
        );
      }
    }
    child.once('exit', (code, signal) => {
      if (!started) return;
      exitCode = code ?? (signal ? signalExitCode(signal) : 1);
      for (const pump of pumps) pump.childExited();
      finish();
    });
  });
}

function startError(command: string, err: unknown): StageSecretsError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  const hint =
    code === 'ENOENT'
      ? 'check the command name and PATH (run a shell for shell syntax: -- sh -c "...")'
      : code === 'EACCES'
        ? 'the file is not executable'
        : 'check the command';
  return new StageSecretsError('USAGE', `cannot start ${JSON.stringify(command)} (${code}): ${hint}.`);
}

/**
 * Moves one output stream of the child through a masker to the runner's stream, with backpressure.
 * The masker is built at the stream's first byte: building its automaton for many secrets takes tens
 * of ms, which a quiet child should not cost (the automaton is shared with the other stream's masker).
 */
class Pump {
  private timer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private waitingForDrain = false;
  private targetBroken = false;
  private sawData = false;
  private done = false;
  private masker: Masker | undefined;

  constructor(
    private readonly source: Readable,
    private readonly target: NodeJS.WritableStream,
    makeMasker: () => Masker,
    private readonly flushMs: number,
    private readonly onDone: () => void,
  ) {
    source.on('data', (chunk: Buffer) => {
      this.sawData = true;
      this.masker ??= makeMasker();
      this.write(this.masker.push(chunk));
      this.scheduleFlush();
    });
    source.once('close', () => this.finish());
    source.on('error', () => this.finish());
    // A reader of our output that went away (EPIPE): stop reading, so the child sees it too.
    target.on('error', this.onTargetError);
  }

  /** Called when the child exited: keep reading while output flows, close the pipe once idle. */
  childExited(): void {
    const check = (): void => {
      if (this.done) return;
      if (!this.sawData && !this.waitingForDrain) this.source.destroy();
      else {
        this.sawData = false;
        this.idleTimer = setTimeout(check, IDLE_AFTER_EXIT_MS);
        this.idleTimer.unref();
      }
    };
    this.sawData = false;
    this.idleTimer = setTimeout(check, IDLE_AFTER_EXIT_MS);
    this.idleTimer.unref();
  }

  abort(): void {
    this.source.destroy();
    this.finish();
  }

  private readonly onTargetError = (): void => {
    this.targetBroken = true;
    this.source.destroy();
  };

  private write(bytes: Buffer): void {
    if (bytes.length === 0 || this.targetBroken) return;
    if (!this.target.write(bytes) && !this.waitingForDrain) {
      this.waitingForDrain = true;
      this.source.pause();
      this.target.once('drain', () => {
        this.waitingForDrain = false;
        this.source.resume();
      });
    }
  }

  private scheduleFlush(): void {
    if (!this.masker || this.masker.heldLength === 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
    } else if (this.timer) {
      this.timer.refresh();
    } else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.masker) this.write(this.masker.flush());
      }, this.flushMs);
    }
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.masker) this.write(this.masker.end());
    this.onDone();
  }
}
