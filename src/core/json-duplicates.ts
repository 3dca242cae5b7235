/**
 * JSON.parse keeps the last of two equal keys silently. A stage file with a duplicate key would show
 * a reviewer one value and give the tool another, so reads refuse it. The text is already known to
 * be valid JSON when this runs, so the scanner only tracks strings, objects and arrays.
 */
export function findDuplicateKey(text: string): string | undefined {
  return findDuplicateKeyAt(text)?.key;
}

/** The first key that repeats in its object, and the offset of its second occurrence (its opening quote). */
export function findDuplicateKeyAt(text: string): { key: string; offset: number } | undefined {
  const stack: Array<Set<string> | null> = []; // a Set per open object, null per open array
  let expectKey = false;
  let i = 0;
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      // String bodies are most of a stage file: jump over them with indexOf, not char by char.
      let j = text.indexOf('"', i + 1);
      while (j !== -1 && isEscaped(text, j)) j = text.indexOf('"', j + 1);
      if (j === -1) j = text.length;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const body = text.slice(i + 1, j);
        const key = body.includes('\\') ? (JSON.parse(text.slice(i, j + 1)) as string) : body;
        if (top.has(key)) return { key, offset: i };
        top.add(key);
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (ch === OPEN_OBJECT) {
      stack.push(new Set());
      expectKey = true;
    } else if (ch === OPEN_ARRAY) {
      stack.push(null);
    } else if (ch === CLOSE_OBJECT || ch === CLOSE_ARRAY) {
      stack.pop();
      expectKey = false;
    } else if (ch === COMMA) {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
    i++;
  }
  return undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/** A quote is escaped when an odd number of backslashes precede it. */
function isEscaped(text: string, quote: number): boolean {
  let k = quote - 1;
  while (text.charCodeAt(k) === BACKSLASH) k--;
  return (quote - 1 - k) % 2 === 1;
}
