import { StageSecretsError } from '../core/errors.js';

/** The part of a terminal's input stream a hidden prompt needs. */
export interface TerminalInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

const ENTER = new Set(['\r', '\n']);
const BACKSPACE = new Set(['\x7f', '\b']);
const CTRL_C = '\x03';
const CTRL_D = '\x04';
const CTRL_U = '\x15';

/**
 * Reads one line from a terminal without echoing it (the terminal shows nothing as it is typed, as
 * `sst secret set` and `passwd` do). Backspace and Ctrl-U edit, Enter or Ctrl-D end, Ctrl-C aborts.
 */
export function readHidden(input: TerminalInput, output: NodeJS.WritableStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (error?: Error) => {
      input.removeListener('data', onData);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === CTRL_C) return done(new StageSecretsError('USAGE', 'cancelled; nothing was written.'));
        if (ENTER.has(ch) || ch === CTRL_D) return done();
        if (BACKSPACE.has(ch)) value = [...value].slice(0, -1).join('');
        else if (ch === CTRL_U) value = '';
        else value += ch;
      }
    };
    // raw mode before the prompt: a fast typist (or a script) must never see the value echoed
    input.setRawMode?.(true);
    output.write(prompt);
    input.on('data', onData);
    input.resume();
  });
}

/** Asks twice, hidden, so a typo is caught; says how long the value is, never what it is. */
export async function readHiddenTwice(
  input: TerminalInput,
  output: NodeJS.WritableStream,
  name: string,
): Promise<string> {
  const first = await readHidden(input, output, `value of ${name} (hidden): `);
  const again = await readHidden(input, output, `again, to confirm: `);
  if (first !== again)
    throw new StageSecretsError('USAGE', `the two entries of ${name} differ; nothing was written. Run set again.`);
  output.write(`(${[...first].length} characters)\n`);
  return first;
}
