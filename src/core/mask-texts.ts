import { inspect } from 'node:util';
import type { SecretValue } from './values.js';

/**
 * Shortest value that is masked, in characters. Masking 1–3 character values would turn every
 * "on", "42" or "yes" in a build log into `***`; such secrets are named in a warning instead.
 */
export const MIN_MASK_LENGTH = 4;

function longEnough(text: string): boolean {
  // counted in code points, so a 2-emoji value is 2 characters, not 4
  let count = 0;
  for (const _ of text) if (++count >= MIN_MASK_LENGTH) return true;
  return false;
}

/**
 * The forms in which tools print a text, each as a function of the text. A form that equals the text
 * (the usual case: most values hold no character any of these encoders changes) adds nothing.
 */
const FORMS: ReadonlyArray<(text: string) => string> = [
  // JSON string content: JSON.stringify, Python json.dumps(ensure_ascii=False), Go with SetEscapeHTML(false)
  (t) => jsonEscaped(t),
  // Python json.dumps (default ensure_ascii), PHP with JSON_UNESCAPED_SLASHES: non-ASCII as \u00e4
  (t) => asciiEscaped(jsonEscaped(t)),
  // PHP json_encode (default): also / as \/
  (t) => slashEscaped(asciiEscaped(jsonEscaped(t))),
  // PHP with JSON_UNESCAPED_UNICODE, and other encoders that escape /
  (t) => slashEscaped(jsonEscaped(t)),
  // Go encoding/json (default): <, >, &, U+2028 and U+2029 as \u003c ...
  (t) => jsonEscaped(t).replace(/[<>&\u2028\u2029]/g, unicodeEscape),
  // util.inspect / console.log of an object (backslashes doubled, quotes as Node picks them); Python repr
  (t) => inspect(t, { maxStringLength: Infinity }).slice(1, -1),
  // percent-encoding (upper-case hex) of the UTF-8 bytes
  (t) => uriComponent(t), // encodeURIComponent
  (t) => unreserved(t), // RFC 3986: Python quote(safe=''), curl --data-urlencode
  (t) => unreserved(t).replace(/%2F/g, '/'), // Python urllib.parse.quote (safe='/')
  (t) => unreserved(t).replace(/%20/g, '+'), // Python quote_plus, Go url.QueryEscape
  (t) =>
    uriComponent(t)
      .replace(/[!'()~]/g, percentOf)
      .replace(/%20/g, '+'), // URLSearchParams, HTML forms, Java URLEncoder
  (t) => uriComponent(t).replace(/%2[456BC]/g, decodeURIComponent), // a user or password in a WHATWG URL (new URL(...).href)
  // Java (Properties.store, Jackson's ESCAPE_NON_ASCII) and .NET's System.Text.Json: upper-case \u00E4
  (t) => javaEscaped(t),
  (t) => dotnetEscaped(t),
  // Python ascii() and repr()
  (t) => pythonRepr(t, true),
  (t) => pythonRepr(t, false),
  // shells, inside the quotes: bash -x and ${V@Q} ('\'' for a quote), Python shlex.quote ('"'"')
  (t) => singleQuoted(t),
  (t) => t.replace(/'/g, `'"'"'`),
  // bash printf %q: a backslash before each shell character; $'...' when the text has control
  // characters, with non-ASCII as it is (UTF-8 locale) or as octal UTF-8 bytes (C locale, also ${V@Q})
  (t) => shellBackslashed(t),
  (t) => ansiCQuoted(t, false),
  (t) => ansiCQuoted(t, true),
  // a trace (bash -x) of a quoted form: q=$(printf %q "$V"), echo "${V@Q}" (differs only if the text has a ')
  (t) => singleQuoted(singleQuoted(t)),
  (t) => singleQuoted(shellBackslashed(t)),
  (t) => singleQuoted(ansiCQuoted(t, false)),
  (t) => singleQuoted(ansiCQuoted(t, true)),
];

function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function unicodeEscape(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Every UTF-16 unit outside printable ASCII as \uxxxx (lower-case hex, surrogate pairs apart). */
function asciiEscaped(json: string): string {
  return json.replace(/[^\x20-\x7e]/g, unicodeEscape);
}

function hex4(code: number): string {
  return code.toString(16).toUpperCase().padStart(4, '0');
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** A JSON string body with every UTF-16 unit outside printable ASCII as \uXXXX in upper-case hex (Java). */
function javaEscaped(text: string): string {
  return text.replace(/["\\]|[^\x20-\x7e]/g, (ch) =>
    ch === '"' || ch === '\\' ? `\\${ch}` : (SHORT_ESCAPES[ch] ?? `\\u${hex4(ch.charCodeAt(0))}`),
  );
}

/** System.Text.Json's default encoder: also quotes and HTML-sensitive characters as \u00XX. */
function dotnetEscaped(text: string): string {
  return text.replace(/[\\]|[^\x20-\x7e]|["'&+<>`]/g, (ch) =>
    ch === '\\' ? '\\\\' : (SHORT_ESCAPES[ch] ?? `\\u${hex4(ch.charCodeAt(0))}`),
  );
}

/** The body of Python's repr() (printable non-ASCII as it is) or ascii() of a text, quotes chosen as Python does. */
function pythonRepr(text: string, asciiOnly: boolean): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  return text.replace(/[\\'"]|[^\x20-\x7e]/gu, (ch) => {
    if (ch === '\\' || ch === quote) return `\\${ch}`;
    if (ch === "'" || ch === '"') return ch;
    if (ch === '\t' || ch === '\n' || ch === '\r') return SHORT_ESCAPES[ch]!;
    const code = ch.codePointAt(0)!;
    if (code >= 0x80 && !asciiOnly && !NOT_PRINTABLE.test(ch)) return ch;
    if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
    return code < 0x10000 ? `\\u${code.toString(16).padStart(4, '0')}` : `\\U${code.toString(16).padStart(8, '0')}`;
  });
}

/** What Python's str.isprintable() refuses, besides ASCII controls: it escapes these even in repr(). */
const NOT_PRINTABLE = /^[\p{C}\p{Z}]$/u;

/** Inside '...' of bash -x and ${V@Q}: each quote as '\\'' (close, escaped quote, reopen). */
function singleQuoted(text: string): string {
  return text.replace(/'/g, "'\\''");
}

/** bash's printf %q of a text without control characters: a backslash before each character the shell reads. */
function shellBackslashed(text: string): string {
  return text.replace(/[ \t'"\\|&;()<>!{}*[?\]^$`,]|(?<=^|[=:])~|^#/g, (ch) => `\\${ch}`);
}

const ANSI_C_ESCAPES: Readonly<Record<string, string>> = {
  ...SHORT_ESCAPES,
  '\x07': '\\a',
  '\v': '\\v',
  '\x1b': '\\E',
  "'": "\\'",
  '\\': '\\\\',
};

function octalBytes(ch: string): string {
  let out = '';
  for (const byte of Buffer.from(ch, 'utf8')) out += `\\${byte.toString(8).padStart(3, '0')}`;
  return out;
}

/** The body of bash's $'...': C escapes, other control characters (and, in the C locale, non-ASCII) in octal. */
function ansiCQuoted(text: string, octalNonAscii: boolean): string {
  const pattern = octalNonAscii ? /['\\]|[^\x20-\x7e]/gu : /['\\\x00-\x1f\x7f]/g;
  return text.replace(pattern, (ch) => ANSI_C_ESCAPES[ch] ?? octalBytes(ch));
}

function slashEscaped(json: string): string {
  return json.replace(/\//g, '\\/');
}

/** encodeURIComponent, also for a text with a lone surrogate (encoded as U+FFFD, as TextEncoder does). */
function uriComponent(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return encodeURIComponent(
      text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'),
    );
  }
}

/** Only letters, digits and - . _ ~ left as they are. */
function unreserved(text: string): string {
  return uriComponent(text).replace(/[!'()*]/g, percentOf);
}

function percentOf(ch: string): string {
  return `%${ch.charCodeAt(0).toString(16).toUpperCase()}`;
}

/**
 * The password of a URL value (`postgres://user:PASSWORD@host`) if it has one: decoded (how a driver
 * logs its connection settings) and as written in the URL (WHATWG-normalized).
 */
function urlPassword(text: string): { decoded: string; written: string } | undefined {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/@]*:[^\s/@]*@/.test(text)) return undefined;
  let written: string;
  try {
    written = new URL(text).password;
  } catch {
    return undefined;
  }
  if (written === '') return undefined;
  try {
    return { decoded: decodeURIComponent(written), written };
  } catch {
    return { decoded: written, written }; // a stray %
  }
}

const PLAIN = /^[A-Za-z0-9._-]*$/;

/** A text in every form of FORMS, each line of a multi-line text, and the password of a URL. */
function addForms(text: string, into: Set<string>): void {
  if (!longEnough(text)) return;
  into.add(text);
  if (PLAIN.test(text)) return; // letters, digits, - . _: every form is the text itself
  for (const form of FORMS) into.add(form(text));
  if (/[\r\n]/.test(text)) {
    for (const line of text.split(/\r?\n|\r/)) addForms(line.trim(), into);
  }
  const password = urlPassword(text);
  if (password) {
    addForms(password.decoded, into); // its forms include the percent-encoded ones
    if (longEnough(password.written)) into.add(password.written);
  }
}

function addStringLeaves(node: unknown, into: Set<string>): void {
  if (typeof node === 'string') addForms(node, into);
  else if (Array.isArray(node)) for (const item of node) addStringLeaves(item, into);
  else if (node !== null && typeof node === 'object')
    for (const item of Object.values(node)) addStringLeaves(item, into);
}

/** The warning for secrets whose values are too short to mask: names them, never a value. */
export function unmaskedWarning(names: readonly string[]): string {
  return `not masking ${names.join(', ')}: values shorter than ${MIN_MASK_LENGTH} characters cannot be masked without hiding that text everywhere in the log.`;
}

/** Names of the secrets whose value is too short to be masked. */
export function unmaskedSecrets(secrets: ReadonlyMap<string, SecretValue>): string[] {
  const names: string[] = [];
  for (const [name, value] of secrets) if (!longEnough(value.text)) names.push(name);
  return names;
}

/**
 * What to mask for a set of secrets, the one rule for every masking path (`run`'s output and the
 * `::add-mask::` lines of `export --format github-env`): every value of at least MIN_MASK_LENGTH
 * characters (JSON in its compact form), each line of a multi-line value, each string leaf of a JSON
 * value and the password of a URL value that are long enough on their own; each of them also in the
 * forms tools print it (FORMS: JSON escapes of JavaScript, Python, PHP and Go, util.inspect, and
 * percent-encodings). `alsoTexts` (the key texts `run` saw) are masked like string values.
 */
export function maskTexts(secrets: ReadonlyMap<string, SecretValue>, alsoTexts: Iterable<string> = []): string[] {
  const patterns = new Set<string>();
  for (const text of alsoTexts) addForms(text, patterns);
  for (const value of secrets.values()) {
    if (!longEnough(value.text)) continue;
    addForms(value.text, patterns);
    if (value.type === 'json') {
      try {
        addStringLeaves(JSON.parse(value.text) as unknown, patterns);
      } catch {
        // canonical JSON always parses; a value that does not is still masked whole
      }
    }
  }
  return [...patterns];
}
