import { describe, expect, it } from 'vitest';
import { escapeMarkdown, escapeMessage, escapeText, markdownCode } from '../../../src/core/escape.js';

describe('escapeText: one line of text output', () => {
  it('turns line breaks and control characters into visible escapes', () => {
    expect(escapeText('a\nb\r\tc\u001b[31md\u2028e\u202ef\u0000')).toBe('a\\nb\\r\\tc\\x1b[31md\\u2028e\\u202ef\\x00');
  });

  it('breaks up workflow commands: ::cmd:: at the start (spaces ignored), ##[ anywhere', () => {
    expect(escapeText('::warning::x')).toBe('\\x3a:warning::x');
    expect(escapeText('  ::stop-commands::t')).toBe('  \\x3a:stop-commands::t');
    expect(escapeText('a ##[error]b')).toBe('a ##\\x5berror]b');
    expect(escapeText('svc\n::warning::x')).toBe('svc\\n::warning::x');
  });

  it('leaves plain names as they are', () => {
    expect(escapeText('services/api-svc/http (process.env.DB_URL, src/db.ts:1)')).toBe(
      'services/api-svc/http (process.env.DB_URL, src/db.ts:1)',
    );
  });
});

describe('escapeMessage: a message of ours with lines', () => {
  it('keeps its lines, but none can be a workflow command, and control characters show', () => {
    expect(escapeMessage('first\n::warning::x\n- ok\u001b')).toBe('first\n\\x3a:warning::x\n- ok\\x1b');
  });
});

describe('escapeMarkdown and markdownCode', () => {
  it('no link, image, tag, mention, emphasis or new line survives', () => {
    const out = escapeMarkdown('[a](https://e.example) ![i](x) <img src=x> @octocat *b* `c`\n# h');
    expect(out).not.toMatch(/<img|\]\(|@(?!&#8203;)|(?<!\\)[*`\n]/);
    expect(out).toContain('&#64;&#8203;octocat');
    expect(out).toContain('&lt;img src=x&gt;');
    expect(out).toContain('\\\\n\\# h');
  });

  it('a code span only for names of safe characters', () => {
    expect(markdownCode('api-svc/http.ts')).toBe('`api-svc/http.ts`');
    expect(markdownCode('a`b|c')).toBe('a\\`b\\|c');
    expect(markdownCode('@team')).toBe('&#64;&#8203;team');
  });
});
