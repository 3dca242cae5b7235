import { spawnSync } from 'node:child_process';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskTexts } from '../../../src/core/mask-texts.js';
import type { SecretValue } from '../../../src/core/values.js';
import { Masker } from '../../../src/runner/masker.js';

const strings = (entries: Record<string, string>) =>
  new Map<string, SecretValue>(Object.entries(entries).map(([name, text]) => [name, { type: 'string', text }]));

/** What `run` prints for `line` when the stage holds `value`. */
function masked(value: string, line: string): string {
  const masker = new Masker(maskTexts(strings({ K: value })));
  return Buffer.concat([masker.push(Buffer.from(line)), masker.end()]).toString();
}

// Each row: the tool, the value, and exactly what the tool prints for it (taken from the tool).
const PRINTED: ReadonlyArray<readonly [tool: string, value: string, printed: string]> = [
  [
    'Python json.dumps (non-ASCII as \\u escapes)',
    'grüße/tëst-κλειδί',
    'gr\\u00fc\\u00dfe/t\\u00ebst-\\u03ba\\u03bb\\u03b5\\u03b9\\u03b4\\u03af',
  ],
  ['Python json.dumps (astral character as a surrogate pair)', 'key-😀-x', 'key-\\ud83d\\ude00-x'],
  [
    'PHP json_encode (\\/ and \\u escapes)',
    'grüße/tëst-κλειδί',
    'gr\\u00fc\\u00dfe\\/t\\u00ebst-\\u03ba\\u03bb\\u03b5\\u03b9\\u03b4\\u03af',
  ],
  ['PHP json_encode with JSON_UNESCAPED_UNICODE', 'grüße/tëst-κλειδί', 'grüße\\/tëst-κλειδί'],
  ['Go encoding/json (<, >, & escaped)', 'tok<en>&amp-1', 'tok\\u003cen\\u003e\\u0026amp-1'],
  ['JavaScript JSON.stringify', 'say "hi"\\now', 'say \\"hi\\"\\\\now'],
  ['encodeURIComponent of a URL value', 'postgres://u:pa55word@h/db', 'postgres%3A%2F%2Fu%3Apa55word%40h%2Fdb'],
  ['encodeURIComponent', 'p@ss w/rd!(x)*~', 'p%40ss%20w%2Frd!(x)*~'],
  ['Python urllib.parse.quote', 'p@ss w/rd!(x)*~', 'p%40ss%20w/rd%21%28x%29%2A~'],
  ["Python urllib.parse.quote(safe='')", 'p@ss w/rd!(x)*~', 'p%40ss%20w%2Frd%21%28x%29%2A~'],
  ['Python quote_plus, Go url.QueryEscape', 'p@ss w/rd!(x)*~', 'p%40ss+w%2Frd%21%28x%29%2A~'],
  ['URLSearchParams, Java URLEncoder', 'p@ss w/rd!(x)*~', 'p%40ss+w%2Frd%21%28x%29*%7E'],
  ['WHATWG URL password (new URL().href)', 'pa$$;wo=rd', 'pa$$%3Bwo%3Drd'],
  [
    'util.inspect, Python repr (backslashes doubled, double quotes as they are)',
    'C:\\keys\\"prod"',
    'C:\\\\keys\\\\"prod"',
  ],
  ['a driver logging the password of a URL value, decoded', 'postgres://app:s3cr%2Ft-pw@db:5432/app', 's3cr/t-pw'],
  ['the password of a URL value, as written in it', 'postgres://app:s3cr%2Ft-pw@db:5432/app', 's3cr%2Ft-pw'],
  ["bash -x (single quotes, a quote as '\\'')", "it's plain-Xylo", "'it'\\''s plain-Xylo'"],
  ['printf %q in a UTF-8 locale (backslashes)', 'Grüße x', 'Grüße\\ x'],
  ['printf %q (shell characters)', 'a b$c\\d*e!f', 'a\\ b\\$c\\\\d\\*e\\!f'],
  ['printf %q (~ first and after :, # first, commas)', '~a~b#c#=d:~e,f=g%h+i@j', '\\~a~b#c#=d:\\~e\\,f=g%h+i@j'],
  ['printf %q in the C locale (UTF-8 bytes in octal)', 'Grüße x', "$'Gr\\303\\274\\303\\237e x'"],
  [
    'printf %q of a value with a newline, quote and non-ASCII (C locale)',
    'zq\'Xylo phone "Grüße"\nQuark-Zebra 9',
    "$'zq\\'Xylo phone \"Gr\\303\\274\\303\\237e\"\\nQuark-Zebra 9'",
  ],
  [
    'printf %q of a value with a newline, quote and non-ASCII (UTF-8)',
    'zq\'Xylo phone "Grüße"\nQuark-Zebra 9',
    "$'zq\\'Xylo phone \"Grüße\"\\nQuark-Zebra 9'",
  ],
  ['printf %q of control characters', 'a\x1bb\x7fc\rd\ve\x01', "$'a\\Eb\\177c\\rd\\ve\\001'"],
  [
    'Python ascii() (\\x, \\u and \\U escapes)',
    'tab\there \x01ctl \u20ac \u{1F600}',
    "'tab\\there \\x01ctl \\u20ac \\U0001f600'",
  ],
  [
    'Python ascii() of a value with both quotes and a newline',
    'zq\'Xylo phone "Grüße"\nQuark-Zebra 9',
    "'zq\\'Xylo phone \"Gr\\xfc\\xdfe\"\\nQuark-Zebra 9'",
  ],
  ['Python ascii() of a value with a single quote (double-quoted)', "it's plain-Xylo", '"it\'s plain-Xylo"'],
  ['Python repr (escaped quote, non-printable as \\x)', 'zq\'Xy \u00a0\u0085€"', "'zq\\'Xy \\xa0\\x85€\"'"],
  ['Java Properties.store (upper-case \\u escapes)', 'Grüße-tok€-😀', 'Gr\\u00FC\\u00DFe-tok\\u20AC-\\uD83D\\uDE00'],
];

// Rows written from the encoders' documentation (the tools do not run on this machine).
const DOCUMENTED: ReadonlyArray<readonly [tool: string, value: string, printed: string]> = [
  [
    '.NET System.Text.Json (default encoder: upper-case \\u, quotes and HTML characters too)',
    'Grüße "x" <a&b>+\'c\'',
    'Gr\\u00FC\\u00DFe \\u0022x\\u0022 \\u003Ca\\u0026b\\u003E\\u002B\\u0027c\\u0027',
  ],
  ['Jackson with ESCAPE_NON_ASCII', 'Grüße "x"\n', 'Gr\\u00FC\\u00DFe \\"x\\"\\n'],
  ["Python shlex.quote (a quote as '\"'\"')", "it's plain-Xylo", "'it'\"'\"'s plain-Xylo'"],
];

describe('maskTexts: the forms tools print', () => {
  for (const [tool, value, printed] of [...PRINTED, ...DOCUMENTED]) {
    it(`masks ${tool}`, () => {
      // the quotes a shell or Python puts around the text may stay
      expect(masked(value, `log: ${printed} end`)).toMatch(/^log: (\$?'|")?\*\*\*('|")? end$/);
    });
  }

  it('masks what Node itself prints for values with quotes, backslashes, URL characters and non-ASCII', () => {
    const value = `pa55/w0'rd\\ä "x"&<y>@z`;
    const url = new URL('postgres://h:5432/db');
    url.username = 'app';
    url.password = value;
    for (const printed of [
      JSON.stringify({ value }),
      inspect({ value }),
      inspect([value]),
      encodeURIComponent(value),
      new URLSearchParams({ value }).toString(),
      url.href,
      JSON.stringify({ url: url.href }),
    ]) {
      const out = masked(value, printed);
      expect(out).toContain('***');
      expect(out).not.toMatch(/pa55|w0/);
    }
  });

  it('works out the forms of a JSON string leaf with a lone surrogate', () => {
    const texts = maskTexts(new Map([['J', { type: 'json', text: '{"a":"\\ud800 lone/leaf"}' } as SecretValue]]));
    expect(texts).toContain('\ud800 lone/leaf');
    expect(texts).toContain('%EF%BF%BD%20lone%2Fleaf');
  });

  it('adds nothing for a value that no encoder changes', () => {
    expect(maskTexts(strings({ K: 'tok-3f9a_SECRET.77' }))).toEqual(['tok-3f9a_SECRET.77']);
  });
});

/** Values with what shells and Python quote: quotes, spaces, shell characters, non-ASCII, control characters. */
function seededValues(count: number, seed: number): string[] {
  const piece = fc.constantFrom(
    ...["'", '"', ' ', '\\', '$', '`', '!', '~', '#', ',', '*', '\n', '\t', '\r', '\x1b', '\x7f', '\x01'],
    ...['ä', 'ß', 'é', '€', '😀', '\u00a0', 'κλ', 'Xylo', 'Quark', '42', '=', ':', '/', '@', '&', '<', '+'],
  );
  const value = fc.array(piece, { minLength: 4, maxLength: 14 }).map((parts) => `zq${parts.join('')}`);
  return fc.sample(value, { numRuns: count, seed });
}

/** Each value printed by a real tool: one line per value (the tools' own escapes keep it on one line). */
function printedByTool(program: string, args: string[], values: string[], env: NodeJS.ProcessEnv = {}): string[] {
  const valueEnv = Object.fromEntries(values.map((v, i) => [`V${i}`, v]));
  const fullEnv = { PATH: process.env.PATH, ...env, ...valueEnv, N: String(values.length) };
  const r = spawnSync(program, args, { env: fullEnv, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.split('\n').slice(0, -1);
  expect(lines.length).toBe(values.length);
  return lines;
}

describe('maskTexts: random values as real shells and Python print them (fast-check, fixed seed)', () => {
  const values = seededValues(60, 20261201);
  const expectMasked = (printed: string[], what: string) =>
    printed.forEach((line, i) => {
      const label = `${what} of ${JSON.stringify(values[i])}`;
      expect(masked(values[i]!, `<${line}>`), label).toMatch(/^<(\$?'|")?\*\*\*('|")?>$/);
    });

  for (const locale of ['C', 'C.UTF-8']) {
    it(`printf %q and \${V@Q} in the ${locale} locale`, () => {
      const loop = (fmt: string) => `for ((i = 0; i < N; i++)); do v="V$i"; ${fmt}; done`;
      const bash = (fmt: string) =>
        printedByTool('bash', ['--norc', '--noprofile', '-c', loop(fmt)], values, { LC_ALL: locale });
      expectMasked(bash(`printf '%q\\n' "\${!v}"`), 'printf %q');
      expectMasked(bash(`x="\${!v}"; printf '%s\\n' "\${x@Q}"`), '${V@Q}');
    });
  }

  it('Python ascii() and repr()', () => {
    const lines = ['import os', 'for i in range(int(os.environ["N"])):', '    print(ascii(os.environ[f"V{i}"]))'];
    const script = lines.join('\n');
    expectMasked(printedByTool('python3', ['-c', script], values, { LC_ALL: 'C.UTF-8' }), 'ascii()');
    const repr = script.replace('ascii(', 'repr(');
    // repr keeps printable non-ASCII as it is: print it as UTF-8 whatever the locale
    expectMasked(printedByTool('python3', ['-X', 'utf8', '-c', repr], values, { LC_ALL: 'C.UTF-8' }), 'repr()');
  });

  it('bash -x, value by value (its single quotes keep line breaks as they are)', () => {
    for (const [i, value] of values.entries()) {
      const env = { PATH: process.env.PATH, V: value, LC_ALL: 'C.UTF-8' };
      const r = spawnSync('bash', ['--norc', '--noprofile', '-xc', 'true "$V"'], { env, encoding: 'utf8' });
      const out = masked(value, r.stderr);
      expect(out, `bash -x of ${JSON.stringify(value)} (value ${i})`).toMatch(/^\+ true (\$?')?\*\*\*'?\n$/);
    }
  });
});
