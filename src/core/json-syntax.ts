/**
 * Where a text stops being JSON, for error messages. JSON.parse says what is wrong by quoting the text
 * around the fault (V8: `Unexpected token 'x', "…"... is not valid JSON`), and a stage file can hold
 * anything a hand edit pasted into it, so messages give a position instead. This scanner runs only after
 * JSON.parse has failed; it uses a stack, not recursion, so deep nesting cannot overflow it.
 */
export interface JsonSyntaxError {
  /** UTF-16 offset of the fault */
  offset: number;
  /** what is wrong, in words that never include the text */
  problem: string;
}

type Expect = 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'colon' | 'comma-or-close' | 'end';

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX4 = /[0-9a-fA-F]{4}/y;

/** The first syntax fault of `text`, or undefined if it is JSON as RFC 8259 defines it. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const stack: Array<'{' | '['> = [];
  let expect: Expect = 'value';
  let i = 0;
  const afterValue = (): Expect => (stack.length ? 'comma-or-close' : 'end');
  for (;;) {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    if (i >= text.length) {
      if (expect === 'end') return undefined;
      return { offset: text.length, problem: text.trim() === '' ? 'the file is empty' : 'the file ends too early' };
    }
    const c = text[i]!;
    switch (expect) {
      case 'end':
        return { offset: i, problem: 'unexpected text after the end of the JSON document' };
      case 'colon':
        if (c !== ':') return { offset: i, problem: "expected ':' after a property name" };
        i++;
        expect = 'value';
        continue;
      case 'comma-or-close': {
        const close = stack[stack.length - 1] === '{' ? '}' : ']';
        if (c === ',') {
          i++;
          expect = close === '}' ? 'key' : 'value';
        } else if (c === close) {
          i++;
          stack.pop();
          expect = afterValue();
        } else return { offset: i, problem: `expected ',' or '${close}'` };
        continue;
      }
      case 'key-or-close':
      case 'key':
        if (c === '}' && expect === 'key-or-close') {
          i++;
          stack.pop();
          expect = afterValue();
          continue;
        }
        if (c !== '"') return { offset: i, problem: 'expected a property name in double quotes' };
        {
          const end = scanString(text, i);
          if (typeof end !== 'number') return end;
          i = end;
        }
        expect = 'colon';
        continue;
      case 'value-or-close':
      case 'value':
        if (c === ']' && expect === 'value-or-close') {
          i++;
          stack.pop();
          expect = afterValue();
          continue;
        }
        if (c === '{' || c === '[') {
          stack.push(c);
          i++;
          expect = c === '{' ? 'key-or-close' : 'value-or-close';
          continue;
        }
        if (c === '"') {
          const end = scanString(text, i);
          if (typeof end !== 'number') return end;
          i = end;
        } else if (c === '-' || (c >= '0' && c <= '9')) {
          NUMBER.lastIndex = i;
          if (!NUMBER.test(text)) return { offset: i, problem: 'a malformed number' };
          i = NUMBER.lastIndex;
        } else {
          const literal = ['true', 'false', 'null'].find((word) => text.startsWith(word, i));
          if (!literal) {
            const problem =
              i === 0 && c === '\ufeff'
                ? 'the file starts with a byte-order mark'
                : 'unexpected character where a value should be';
            return { offset: i, problem };
          }
          i += literal.length;
        }
        expect = afterValue();
        continue;
    }
  }
}

/** The offset after the closing quote of the string that opens at `start`, or the fault in it. */
function scanString(text: string, start: number): number | JsonSyntaxError {
  for (let i = start + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) return i + 1;
    if (code < 0x20) return { offset: i, problem: 'a control character (such as a line break or tab) inside a string' };
    if (code === 0x5c) {
      const next = text[i + 1];
      if (next === 'u') {
        HEX4.lastIndex = i + 2;
        if (!HEX4.test(text)) return { offset: i, problem: 'a malformed \\u escape in a string' };
        i += 5;
      } else if (next !== undefined && ESCAPES.has(next)) i++;
      else return { offset: i, problem: 'an invalid escape in a string' };
    }
  }
  return { offset: start, problem: 'an unterminated string (the file ends inside it)' };
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** 1-based line and column (in UTF-16 code units) of an offset; lines end at \n. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
