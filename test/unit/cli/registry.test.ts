import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CommandSpec, parseCommandArgs, renderHelp } from '../../../src/cli/command.js';
import { allCommands, COMMANDS } from '../../../src/cli/registry.js';
import { REPO_ROOT } from '../../support/cli.js';

/** The command rows of the README's Commands table: the first word of each `...` in its first column. */
function readmeCommands(): Set<string> {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## Commands$/m)[1]!.split(/^## /m)[0]!;
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  const names = rows.flatMap((row) => [...row.split(' | ')[0]!.matchAll(/`([a-z][a-z-]*)/g)].map((m) => m[1]!));
  return new Set(names);
}

describe('the command registry: one spec per command', () => {
  it('names each command as its spec does', async () => {
    const specs = await allCommands();
    expect(specs.map((s) => s.name)).toEqual(Object.keys(COMMANDS));
  });

  it('gives every command a summary, a usage of its own, and help for every option', async () => {
    for (const spec of await allCommands()) {
      expect(spec.summary.length, spec.name).toBeGreaterThan(10);
      expect(spec.usage, spec.name).toMatch(new RegExp(`^stage-secrets ${spec.name}\\b`));
      for (const [name, option] of Object.entries(spec.options)) {
        expect(option.help.trim().length, `${spec.name} --${name}`).toBeGreaterThan(3);
        expect(renderHelp(spec), `${spec.name} --${name}`).toMatch(new RegExp(`--${name}\\b`));
      }
    }
  });

  it("the README's Commands table lists every command", async () => {
    const listed = readmeCommands();
    expect(listed.size).toBeGreaterThan(10);
    const missing = Object.keys(COMMANDS).filter((name) => !listed.has(name));
    expect(missing).toEqual([]);
  });
});

describe('parseCommandArgs', () => {
  const spec: CommandSpec = {
    name: 'demo',
    summary: 'a command for the parser test',
    usage: 'stage-secrets demo',
    description: '',
    options: {
      stage: { type: 'string', short: 's', value: 'S', help: 'stage' },
      json: { type: 'boolean', help: 'json' },
    },
    async run() {
      return 0;
    },
  };

  it('parses by the spec and takes --help off the values', () => {
    const parsed = parseCommandArgs(spec, ['-s', 'dev', '--json', '--help']);
    expect(parsed.values).toEqual({ stage: 'dev', json: true });
    expect(parsed.help).toBe(true);
  });

  it('refuses an unknown option, pointing at the help, and hides it when the spec asks', () => {
    expect(() => parseCommandArgs(spec, ['--bogus'])).toThrow(/--bogus.*stage-secrets demo --help/);
    expect(() => parseCommandArgs({ ...spec, hideUnknown: true }, ['--s3cr3t'])).toThrow(/not shown/);
    expect(() => parseCommandArgs(spec, ['word'])).toThrow(/demo --help/);
  });

  it("gives a 'command' spec everything from the first word on as the child's", () => {
    const parsed = parseCommandArgs({ ...spec, positionals: 'command' }, ['-s', 'dev', 'node', '--json']);
    expect(parsed.values).toEqual({ stage: 'dev' });
    expect(parsed.positionals).toEqual(['node', '--json']);
  });
});
