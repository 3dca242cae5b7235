/**
 * Where the core's warnings and notices go. The CLI writes them to stderr; the Serverless plugin
 * routes them to the framework's log. Callers must never pass a secret value.
 */
export interface Logger {
  warn(message: string): void;
  notice(message: string): void;
}

const stderrLogger: Logger = {
  warn: (message) => process.stderr.write(`stage-secrets: warning: ${message}\n`),
  notice: (message) => process.stderr.write(`${message}\n`),
};

let current: Logger = stderrLogger;

export function setLogger(logger: Logger | undefined): void {
  current = logger ?? stderrLogger;
}

export function log(): Logger {
  return current;
}
