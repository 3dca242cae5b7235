import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

/** Signals passed on to the child. While it runs, they do not end the runner: it waits for the child. */
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Exit code of a process that died by a signal, as shells report it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Catches SIGINT/SIGTERM/SIGHUP from the moment it starts, so the runner can always clean up.
 * A signal that arrives before the child exists is remembered; afterwards each one is forwarded.
 */
export class SignalRelay {
  private child: ChildProcess | undefined;
  private first: NodeJS.Signals | undefined;
  private readonly handlers = new Map<NodeJS.Signals, () => void>();

  start(): void {
    for (const signal of FORWARDED_SIGNALS) {
      const handler = (): void => this.receive(signal);
      this.handlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  /** The first signal received, if any. */
  get received(): NodeJS.Signals | undefined {
    return this.first;
  }

  /** Forwards later signals to the child, and one that arrived while it was being started. */
  attach(child: ChildProcess): void {
    this.child = child;
    if (this.first) this.receive(this.first);
  }

  stop(): void {
    for (const [signal, handler] of this.handlers) process.removeListener(signal, handler);
    this.handlers.clear();
    this.child = undefined;
  }

  private receive(signal: NodeJS.Signals): void {
    this.first ??= signal;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      try {
        child.kill(signal);
      } catch {
        // the child is already gone; its exit is being reported
      }
    }
  }
}
