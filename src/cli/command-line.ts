import { parseArgs } from 'node:util';
import { type CommandSpec, parseArgsOptions } from './command.js';

/**
 * Where the command name is when options come first: `--stage dev --base main review` is `review` with
 * `--stage dev --base main`. A word is the command when it names one and that command's own options,
 * read up to it, do not take it as an option's value (`--stage list list` is list of stage "list").
 * Without a command word the line is returned as is (`--help`, `--version`, or an error naming argv[0]).
 */
export async function splitCommandLine(
  argv: string[],
  isCommand: (word: string) => boolean,
  load: (name: string) => Promise<CommandSpec>,
): Promise<{ name: string | undefined; rest: string[] }> {
  if (argv.length === 0) return { name: undefined, rest: [] };
  const first = argv[0]!;
  if (!first.startsWith('-') || first === '-') return { name: first, rest: argv.slice(1) };
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') break;
    if (word.startsWith('-') || !isCommand(word)) continue;
    const spec = await load(word);
    const { tokens } = parseArgs({
      args: argv.slice(0, i + 1),
      options: parseArgsOptions(spec.options),
      allowPositionals: true,
      strict: false,
      tokens: true,
    });
    const last = tokens.at(-1);
    if (last?.kind === 'positional' && last.index === i)
      return { name: word, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { name: first, rest: argv.slice(1) };
}
