import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { maskTexts } from '../../src/core/mask-texts.js';
import type { SecretValue } from '../../src/core/values.js';
import { Masker } from '../../src/runner/masker.js';

const strings = (entries: Record<string, string>) =>
  new Map<string, SecretValue>(Object.entries(entries).map(([name, text]) => [name, { type: 'string', text }]));

/** What `run` prints for `line` when the stage holds `value`. */
function masked(value: string, line: string): string {
  const masker = new Masker(maskTexts(strings({ K: value })));
  return Buffer.concat([masker.push(Buffer.from(line)), masker.end()]).toString();
}

// Each row: the tool, the value, and exactly what the tool prints for it (taken from the tool).
const PRINTED: ReadonlyArray<readonly [tool: string, value: string, printed: string]> = [
  ['Python json.dumps (non-ASCII as \\u escapes)', 'grüße/tëst-κλειδί', 'gr\\u00fc\\u00dfe/t\\u00ebst-\\u03ba\\u03bb\\u03b5\\u03b9\\u03b4\\u03af'],
  ['Python json.dumps (astral character as a surrogate pair)', 'key-😀-x', 'key-\\ud83d\\ude00-x'],
  ['PHP json_encode (\\/ and \\u escapes)', 'grüße/tëst-κλειδί', 'gr\\u00fc\\u00dfe\\/t\\u00ebst-\\u03ba\\u03bb\\u03b5\\u03b9\\u03b4\\u03af'],
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
  ['util.inspect, Python repr (backslashes doubled, double quotes as they are)', 'C:\\keys\\"prod"', 'C:\\\\keys\\\\"prod"'],
  ['a driver logging the password of a URL value, decoded', 'postgres://app:s3cr%2Ft-pw@db:5432/app', 's3cr/t-pw'],
  ['the password of a URL value, as written in it', 'postgres://app:s3cr%2Ft-pw@db:5432/app', 's3cr%2Ft-pw'],
];

describe('maskTexts: the forms tools print', () => {
  for (const [tool, value, printed] of PRINTED) {
    it(`masks ${tool}`, () => {
      expect(masked(value, `log: ${printed} end`)).toBe('log: *** end');
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
