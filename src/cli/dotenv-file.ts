import { StageSecretsError } from '../core/errors.js';
import { keyNameProblem, KEY_NAME_PATTERN } from '../core/names.js';
import { normalizeValue } from '../core/values.js';

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
  const linesOf = entryLines(text);
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
      problems.push({
        line: at[0],
        problem: 'a value that begins a PEM block (-----BEGIN) but does not end it: only its first line was read',
      });
    }
  }
  return problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}

/** The lines that start an entry, by name (dotenv itself gives no positions). */
export function entryLines(text: string): Map<string, number[]> {
  const linesOf = new Map<string, number[]>();
  text.split(/\r\n|\n|\r/).forEach((line, i) => {
    const name = ENTRY_START.exec(line)?.[1];
    if (name !== undefined) linesOf.set(name, [...(linesOf.get(name) ?? []), i + 1]);
  });
  return linesOf;
}

/** Every name or value of the file that set would refuse, each with its line; never a value. */
export function entryProblems(text: string, parsed: Record<string, string>): LineProblem[] {
  const linesOf = entryLines(text);
  const problems: LineProblem[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    const line = linesOf.get(name)?.at(-1);
    // a name that breaks the pattern may be a value in the wrong place: not repeated
    const nameProblem = KEY_NAME_PATTERN.test(name)
      ? keyNameProblem(name)
      : 'not a valid secret name (not shown): a letter, then letters, digits or _';
    if (nameProblem) {
      problems.push({ line, problem: nameProblem });
      continue;
    }
    try {
      normalizeValue(name, 'string', value);
    } catch (err) {
      if (!(err instanceof StageSecretsError)) throw err;
      problems.push({ line, problem: err.message.replace(/[.;] .*$/s, '') });
    }
  }
  return problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}

/** Names set on more than one line: dotenv keeps the last, which a reader of the file may not expect. */
export function duplicateNames(text: string): Array<{ name: string; lines: number[] }> {
  return [...entryLines(text)].filter(([, lines]) => lines.length > 1).map(([name, lines]) => ({ name, lines }));
}

export function formatProblems(problems: LineProblem[]): string {
  return problems.map((p) => `- ${p.line === undefined ? 'a line' : `line ${p.line}`}: ${p.problem}`).join('\n');
}

const META_COMMENT = /^\s*#\s*stage-secrets:(.*)$/;

/**
 * Expiry and owner of entries, from a comment on the line just above each:
 * `# stage-secrets: expires=2027-01-31 owner=team-payments` (values without spaces). A comment of that
 * form with another key, or not followed by an entry, is refused by line: silently dropping it would
 * import a secret without the expiry its author meant.
 */
export function entryMetaComments(text: string): {
  meta: Map<string, { expires?: string; owner?: string }>;
  problems: LineProblem[];
} {
  const meta = new Map<string, { expires?: string; owner?: string }>();
  const problems: LineProblem[] = [];
  let pending: { line: number; expires?: string; owner?: string } | undefined;
  text.split(/\r\n|\n|\r/).forEach((line, i) => {
    const comment = META_COMMENT.exec(line);
    if (comment) {
      if (pending) problems.push({ line: pending.line, problem: 'a stage-secrets: comment not followed by an entry' });
      pending = { line: i + 1 };
      for (const token of comment[1]!.trim().split(/\s+/).filter(Boolean)) {
        const [key, ...rest] = token.split('=');
        const value = rest.join('=');
        if ((key === 'expires' || key === 'owner') && value !== '') pending[key] = value;
        else problems.push({ line: i + 1, problem: 'a stage-secrets: comment takes only expires=DATE and owner=TEXT' });
      }
      return;
    }
    if (line.trim() === '') return;
    const name = ENTRY_START.exec(line)?.[1];
    if (pending && name !== undefined) {
      const { line: _line, ...found } = pending;
      meta.set(name, found);
    } else if (pending) {
      problems.push({ line: pending.line, problem: 'a stage-secrets: comment not followed by an entry' });
    }
    pending = undefined;
  });
  if (pending) problems.push({ line: pending.line, problem: 'a stage-secrets: comment not followed by an entry' });
  return { meta, problems };
}
