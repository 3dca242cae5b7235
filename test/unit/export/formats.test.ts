import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStageSecretsError } from '../../../src/core/errors.js';
import { githubMaskLines } from '../../../src/core/ci-masks.js';
import { exportAs, githubDelimiter, shellQuote, toDotenv, toGithubEnv, toJson } from '../../../src/export/formats.js';

const tricky = fc.constantFrom(
  ...["'", '"', '`', '$', '\\', '\n', '\r', '#', ' ', '=', 'a', 'b', 'n', 'r', '€', '{', '}', '(', ')', '!', '%'],
);
const value = fc.array(tricky, { minLength: 1, maxLength: 14 }).map((a) => a.join(''));
const entriesArb = fc.uniqueArray(fc.tuple(fc.constantFrom('A', 'B', 'C_1', 'Dd', 'E'), value), {
  selector: ([n]) => n,
  minLength: 1,
  maxLength: 5,
});

/** Sources `text` from a file in `shell` (a pipe as /dev/stdin is a socket under Node) and returns the named env vars. */
function sourceIn(shell: string, text: string, names: string[], prelude = ''): Record<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-export-'));
  try {
    const file = path.join(dir, 'vars');
    fs.writeFileSync(file, text);
    const script = `${prelude} . "$1"; shift; exec node -e 'const o={}; for (const k of process.argv.slice(1)) o[k]=process.env[k]; console.log(JSON.stringify(o))' "$@"`;
    const out = execFileSync(shell, ['-c', script, shell, file, ...names]);
    return JSON.parse(out.toString()) as Record<string, string>;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Parses GitHub's env file the way the runner does (LF lines; NAME<<DELIM ... DELIM). */
function parseGithubEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const at = line.indexOf('<<');
    if (at < 0) throw new Error(`not heredoc form: ${line}`);
    const [name, delimiter] = [line.slice(0, at), line.slice(at + 2)];
    const body: string[] = [];
    for (i++; lines[i] !== delimiter; i++) {
      if (i >= lines.length) throw new Error('unterminated');
      body.push(lines[i]!);
    }
    out[name] = body.join('\n');
  }
  return out;
}

describe('dotenv export', () => {
  it('reads back exactly with the dotenv package, or refuses the value by name', () => {
    fc.assert(
      fc.property(entriesArb, (entries) => {
        let text: string;
        try {
          text = toDotenv(entries).text;
        } catch (err) {
          expect(isStageSecretsError(err) && err.code === 'INVALID_VALUE').toBe(true);
          // only values that mix all quote kinds, or CR with " or a literal \n / \r, are refused
          // refused only when no quoting fits: ' or CR rules out single quotes, " or a literal \n / \r
          // rules out double quotes, ` or CR rules out backquotes, and it cannot stand unquoted
          const unquotable = (v: string) => /[#\r\n]/.test(v) || v.trim() !== v || /^['"`]/.test(v);
          const refusable = entries.some(
            ([, v]) => /['\r]/.test(v) && (v.includes('"') || /\\[nr]/.test(v)) && /[`\r]/.test(v) && unquotable(v),
          );
          expect(refusable).toBe(true);
          return;
        }
        expect(parseDotenv(text)).toEqual(Object.fromEntries(entries));
      }),
      { numRuns: 1500 },
    );
  });

  it('prefers single quotes, and keeps $, backslashes and newlines literal', () => {
    const { text, dotenvOnly } = toDotenv([
      ['A', 'p$ss\\w0rd'],
      ['B', 'line1\nline2\n'],
      ['C', "it's"],
      ['D', 'ends with \\'],
      ['E', '# not a comment'],
    ]);
    expect(text.startsWith("A='p$ss\\w0rd'\nB='line1\nline2\n'\nC=\"it's\"\nD='ends with \\'\n")).toBe(true);
    expect(dotenvOnly).toEqual([]);
    expect(parseDotenv(text)).toEqual({
      A: 'p$ss\\w0rd',
      B: 'line1\nline2\n',
      C: "it's",
      D: 'ends with \\',
      E: '# not a comment',
    });
  });

  it('names values that need dotenv-only quoting', () => {
    expect(
      toDotenv([
        ['X', `it's $HOME`],
        ['Y', 'plain'],
      ]).dotenvOnly,
    ).toEqual(['X']);
    expect(toDotenv([['Z', 'cr\r\nlf']]).dotenvOnly).toEqual(['Z']);
  });

  it('is also exact when sourced by bash, unless marked dotenv-only', () => {
    const entries: Array<[string, string]> = [
      ['A', 'p$ss `w` \\ "q"'],
      ['B', 'multi\nline\n  value'],
      ['C', "it's fine"],
      ['D', 'trailing\\'],
    ];
    const { text, dotenvOnly } = toDotenv(entries);
    expect(dotenvOnly).toEqual([]);
    expect(sourceIn('bash', text, ['A', 'B', 'C', 'D'], 'set -a;')).toEqual(Object.fromEntries(entries));
  });

  it('refuses a NUL character by name', () => {
    expect(() => toDotenv([['NULLY', 'a\0b']])).toThrow(/NULLY contains a NUL/);
  });
});

describe('shell export', () => {
  it('round-trips any value through bash and sh', () => {
    const entries = fc.sample(entriesArb, { numRuns: 40, seed: 7 }).flat();
    const unique = new Map(entries.map(([n, v], i) => [`${n}_${i}`, v] as const));
    const text = exportAs('shell', [...unique]).text;
    for (const shell of ['bash', 'sh']) {
      expect(sourceIn(shell, text, [...unique.keys()])).toEqual(Object.fromEntries(unique));
    }
  });

  it('quotes with POSIX single quotes', () => {
    expect(shellQuote(`a'b`)).toBe(`'a'\\''b'`);
    expect(exportAs('shell', [['K', '$x']]).text).toBe(`export K='$x'\n`);
  });
});

describe('json export', () => {
  it('is an object of name to string value', () => {
    expect(
      JSON.parse(
        toJson([
          ['A', '{"x":1}'],
          ['B', '5'],
        ]),
      ),
    ).toEqual({ A: '{"x":1}', B: '5' });
  });
});

describe('github-env export', () => {
  it('writes every value in the heredoc form and reads back exactly', () => {
    fc.assert(
      fc.property(entriesArb, (entries) => {
        const text = toGithubEnv(entries);
        expect(parseGithubEnv(text)).toEqual(Object.fromEntries(entries));
      }),
      { numRuns: 300 },
    );
  });

  it('uses one random delimiter that occurs in no value', () => {
    const d1 = githubDelimiter(['x']);
    const d2 = githubDelimiter(['x']);
    expect(d1).not.toBe(d2);
    expect(d1).toMatch(/^STAGE_SECRETS_EOF_[0-9a-f]{32}$/);
    const text = toGithubEnv(
      [
        ['A', 'v1'],
        ['B', 'v2'],
      ],
      d1,
    );
    expect(text).toBe(`A<<${d1}\nv1\n${d1}\nB<<${d1}\nv2\n${d1}\n`);
  });

  it('masks each text once, with workflow-command escaping', () => {
    const lines = githubMaskLines(['tok-1', '100%0A', 'two\nlines', '  ', 'lines', 'tok-1']);
    expect(lines).toEqual([
      '::add-mask::tok-1',
      '::add-mask::100%250A',
      '::add-mask::two%0Alines',
      '::add-mask::lines',
    ]);
  });

  it('github-env registers exactly the mask texts it is given, not every value (a short one is not among them)', () => {
    const entries = [
      ['PIN', '20'],
      ['TOKEN', 'tok-1234'],
    ] as const;
    expect(exportAs('github-env', entries, ['tok-1234']).logLines).toEqual(['::add-mask::tok-1234']);
  });
});
