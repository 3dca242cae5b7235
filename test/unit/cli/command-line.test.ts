import { describe, expect, it } from 'vitest';
import { splitCommandLine } from '../../../src/cli/command-line.js';
import { isCommandName, loadCommand } from '../../../src/cli/registry.js';

const split = (argv: string[]) => splitCommandLine(argv, isCommandName, loadCommand);

describe('splitCommandLine: the command name wherever the options put it', () => {
  it('takes the first word when it comes first', async () => {
    expect(await split(['list', '--stage', 'dev'])).toEqual({ name: 'list', rest: ['--stage', 'dev'] });
    expect(await split(['frobnicate', '-x'])).toEqual({ name: 'frobnicate', rest: ['-x'] });
  });

  it("reads the options before it with that command's own spec (review's --base takes a value)", async () => {
    expect(await split(['--stage', 'dev', '--base', 'main', 'review'])).toEqual({
      name: 'review',
      rest: ['--stage', 'dev', '--base', 'main'],
    });
    expect(await split(['--stage=dev', '--json', 'list'])).toEqual({ name: 'list', rest: ['--stage=dev', '--json'] });
    expect(await split(['-s', 'dev', 'export', '--format', 'json'])).toEqual({
      name: 'export',
      rest: ['-s', 'dev', '--format', 'json'],
    });
  });

  it("does not take an option's value for the command, even when it is a command's name", async () => {
    expect(await split(['--stage', 'list', 'list'])).toEqual({ name: 'list', rest: ['--stage', 'list'] });
    expect(await split(['--format', 'json', 'check'])).toEqual({ name: 'check', rest: ['--format', 'json'] });
  });

  it('leaves a line without a command word as it is (--help, --version, a child command after --)', async () => {
    expect(await split(['--help'])).toEqual({ name: '--help', rest: [] });
    expect(await split(['--stage', 'dev', '--', 'list'])).toEqual({ name: '--stage', rest: ['dev', '--', 'list'] });
    expect(await split([])).toEqual({ name: undefined, rest: [] });
  });

  it('keeps the words after a run to the child', async () => {
    expect(await split(['--stage', 'dev', 'run', '--', 'node', 'list'])).toEqual({
      name: 'run',
      rest: ['--stage', 'dev', '--', 'node', 'list'],
    });
  });
});
