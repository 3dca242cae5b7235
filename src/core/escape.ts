/**
 * Escaping of text that a pull request chooses (service, function, file and folder names, config strings,
 * identity ids), one function per output format, for every renderer: check, review, status and errors.
 * JSON needs none (JSON.stringify escapes everything).
 */

/** Line breaks, other control characters, and characters that reorder or hide text on a terminal. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * CI runners read workflow commands from the log: GitHub's `::command::` at the start of a line (leading
 * spaces ignored) and its older `##[command]` anywhere in one. Both are broken up, visibly.
 */
function noCommand(text: string): string {
  return text.replace(/^(\s*)::/, '$1\\x3a:').replace(/##\[/g, '##\\x5b');
}

/**
 * A PR-chosen string inside one line of text output (a terminal, a CI log): every line break and control
 * character becomes a visible escape (`\n`, `\x1b`, `\u2028`), so it can neither start a line nor move the
 * cursor, and no workflow command can be read out of it.
 */
export function escapeText(value: string): string {
  return noCommand(value.replace(UNSAFE, visible));
}

/**
 * A message of ours that may hold PR-chosen strings (an error): each of its lines keeps its place, but
 * control characters in it become visible and no line can be read as a workflow command.
 */
export function escapeMessage(message: string): string {
  return message
    .split('\n')
    .map((line) => noCommand(line.replace(UNSAFE, visible)))
    .join('\n');
}

/**
 * A PR-chosen string as markdown text (a pull-request comment, a step summary, a table cell): nothing in
 * it becomes a link, an image, an HTML tag, emphasis, a heading, a list or a mention of a person or team,
 * and it stays on its line.
 */
export function escapeMarkdown(value: string): string {
  return value
    .replace(UNSAFE, visible)
    .replace(/[\\`*_{}[\]()#+\-.!|~:]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@/g, '&#64;&#8203;'); // a zero-width space after @: no mention, even of the decoded text
}

/** Characters a code span shows as they are, in a table cell too (no backtick, no `|`). */
const CODE_SAFE = /^[A-Za-z0-9_./-]+$/;

/** A name as a markdown code span when that is safe, else as escaped markdown text. */
export function markdownCode(value: string): string {
  return CODE_SAFE.test(value) ? `\`${value}\`` : escapeMarkdown(value);
}
