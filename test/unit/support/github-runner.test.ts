import { describe, expect, it } from 'vitest';
import { inputVariable, parseFileCommands, workflowCommands } from '../../support/github-runner.js';

describe('parseFileCommands (the runner reading GITHUB_ENV and GITHUB_OUTPUT)', () => {
  it('reads NAME=value lines and heredoc blocks, multi-line values and = included', () => {
    const text = 'A=one=two\nB<<EOF_1\nline 1\n\nline "3" = x\nEOF_1\nC<<X\r\nwin\r\nX\r\n';
    expect(parseFileCommands(text)).toEqual(
      new Map([
        ['A', 'one=two'],
        ['B', 'line 1\n\nline "3" = x'],
        ['C', 'win'],
      ]),
    );
  });

  it('ends a block only at a line that is exactly the delimiter', () => {
    const text = 'V<<ghadelimiter_1\nghadelimiter_1 \n ghadelimiter_1\nghadelimiter_12\nghadelimiter_1\n';
    expect(parseFileCommands(text).get('V')).toBe('ghadelimiter_1 \n ghadelimiter_1\nghadelimiter_12');
  });

  it('refuses an unterminated block and a line of neither form', () => {
    expect(() => parseFileCommands('V<<D\nvalue\n')).toThrow(/no line D ends/);
    expect(() => parseFileCommands('just text\n')).toThrow(/neither/);
    expect(() => parseFileCommands('V<<\nx\n')).toThrow(/empty heredoc delimiter/);
  });
});

describe('workflowCommands and inputVariable', () => {
  it('unescapes command data as the runner does', () => {
    const cmds = workflowCommands('hello\n::add-mask::a%0Ab%25c%0D\n::error file=x::boom\n');
    expect(cmds).toEqual([
      { command: 'add-mask', data: 'a\nb%c\r', line: 1 },
      { command: 'error', data: 'boom', line: 2 },
    ]);
  });

  it('names inputs as the runner does: upper case, spaces as _, dashes kept', () => {
    expect(inputVariable('stage file')).toBe('INPUT_STAGE_FILE');
    expect(inputVariable('files-dir')).toBe('INPUT_FILES-DIR');
  });
});
