import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { StageSecretsError } from '../../core/errors.js';
import { setSecrets } from '../../stages/secrets.js';
import { parse, stageOptions, STAGE_OPTIONS, STAGE_OPTIONS_HELP, write, type Command } from '../command.js';
import { approvalNote } from '../approval-note.js';
import { readAll } from '../stdin.js';

export const command: Command = {
  name: 'import',
  help: `Usage: stage-secrets import --stage S FILE.env

Seals every KEY=VALUE of a dotenv file (parsed with dotenv; "-" reads standard input) as string
secrets, in one write: if any name or value is refused, nothing is written. New names are approved
when the stage key is at hand, else pending (see stage-secrets approve --help).

A multi-line value (a PEM key) must be in double quotes. Without them dotenv keeps only its first
line and may read a later line as a name; import refuses such a file, giving line numbers only:
a name read from inside a -----BEGIN/-----END block, a name without "_" of 40 or more characters
or of 20 or more that reads like random base64, and a value that begins a PEM block but does not end it.

${STAGE_OPTIONS_HELP}`,
  async run(argv, io) {
    const { values, positionals } = parse('import', argv, STAGE_OPTIONS);
    if (values.help) return write(io.stdout, this.help), 0;
    const opts = stageOptions('import', values, io);
    if (positionals.length !== 1) throw new StageSecretsError('USAGE', 'import needs exactly one dotenv file: stage-secrets import --stage S FILE.env');
    const source = positionals[0]!;
    let text: string;
    if (source === '-') text = await readAll(io.stdin);
    else {
      try {
        text = fs.readFileSync(path.resolve(io.cwd, source), 'utf8');
      } catch (err) {
        throw new StageSecretsError('USAGE', `cannot read ${source} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
    const parsed = parseDotenv(text);
    const entries = Object.entries(parsed);
    if (entries.length === 0) throw new StageSecretsError('USAGE', `${source} has no KEY=VALUE lines; nothing to import.`);
    const problems = keyMaterialProblems(text, parsed);
    if (problems.length) {
      const label = source === '-' ? 'standard input' : source;
      const list = problems.map((p) => `- ${p.line === undefined ? 'a line' : `line ${p.line}`}: ${p.problem}`).join('\n');
      throw new StageSecretsError(
        'INVALID_NAME',
        `${label} looks like it holds key material outside quotes; nothing was imported.\n${list}\n` +
          'Put a multi-line value such as a PEM key in double quotes (KEY="-----BEGIN ...", ending with the -----END line and a closing "), then import again.',
      );
    }
    const result = await setSecrets(opts, entries.map(([name, value]) => ({ name, type: 'string' as const, value })));
    write(io.stderr, `imported ${entries.length} secrets into stage ${opts.stage} (${result.added.length} added, ${result.replaced.length} replaced)`);
    const note = approvalNote(opts.stage, result);
    if (note) write(io.stderr, note);
    return 0;
  },
};

/** What is wrong with one line of a dotenv file; never its text. */
export interface LineProblem {
  /** 1-based; undefined when the name could not be traced to a line */
  line: number | undefined;
  problem: string;
}

// A line where dotenv starts an entry: optional "export", the name, then = or ":" (dotenv's YAML-ish form).
const ENTRY_START = /^\s*(?:export\s+)?([\w.-]+)\s*(?:=|:\s)/;
const PEM_BEGIN = /-----BEGIN /;
const PEM_END = /-----END /;
// camelCase-aware words: a run of capitals not followed by a small letter, a word (Capital + small
// letters, or small letters), a run of digits.
const WORDS = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+/g;

/**
 * Whether a name read from a dotenv file is more likely a piece of a key than a name. A heuristic, tuned to
 * leave names people write alone (STRIPE_KEY, DB_URL, A1B2C3, databaseConnectionString, OAuth2ClientId) and
 * to catch what an unquoted base64 or PEM line turns into: a name with no "_" that is 40 or more characters
 * long, or 20 or more whose words (runs of capitals, Capitalised or small words, digit runs) average fewer
 * than 2.5 characters, as random base64 does (real names average 3 or more; random base64 about 1.5).
 */
export function looksLikeKeyMaterial(name: string): boolean {
  if (name.includes('_')) return false;
  if (name.length >= 40) return true;
  if (name.length < 20) return false;
  const words = name.match(WORDS) ?? [];
  return name.length / Math.max(words.length, 1) < 2.5;
}

/**
 * The entries of a dotenv text that show key material read as names, or a PEM key cut to its first line
 * because it was not quoted. `parsed` is what dotenv made of `text`. Lines are traced by name (dotenv gives
 * no positions): a name maps to the lines that start an entry of that name.
 */
export function keyMaterialProblems(text: string, parsed: Record<string, string>): LineProblem[] {
  const lines = text.split(/\r\n|\n|\r/);
  // Lines strictly after a -----BEGIN line, up to and including its -----END line: inside a PEM block.
  const inPem: boolean[] = [];
  let open = false;
  for (const line of lines) {
    const begins = PEM_BEGIN.test(line) && !PEM_END.test(line);
    inPem.push(open);
    if (PEM_END.test(line)) open = false;
    else if (begins) open = true;
  }
  const linesOf = new Map<string, number[]>();
  lines.forEach((line, i) => {
    const name = ENTRY_START.exec(line)?.[1];
    if (name !== undefined) linesOf.set(name, [...(linesOf.get(name) ?? []), i + 1]);
  });
  const problems: LineProblem[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    const at = linesOf.get(name) ?? [];
    const pemLine = at.find((n) => inPem[n - 1]);
    if (pemLine !== undefined) {
      problems.push({ line: pemLine, problem: 'a line inside a -----BEGIN/-----END block was read as a name' });
    } else if (looksLikeKeyMaterial(name)) {
      problems.push({ line: at[0], problem: 'a name that looks like base64 key material, not a name' });
    }
    if (PEM_BEGIN.test(value) && !PEM_END.test(value)) {
      problems.push({ line: at[0], problem: 'a value that begins a PEM block (-----BEGIN) but does not end it: only its first line was read' });
    }
  }
  return problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}
