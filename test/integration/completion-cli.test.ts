import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allCommands } from '../../src/cli/registry.js';
import { makeWorkspace, type Workspace } from '../support/cli.js';

/**
 * `stage-secrets completion bash|zsh|fish`, made from the command specs. The bash script is sourced into a
 * real bash and its function called the way bash calls it (COMP_WORDS, COMP_CWORD), from a folder with
 * stage files.
 */

let ws: Workspace;
let bashScript: string;

beforeAll(async () => {
  ws = makeWorkspace('completion-app');
  for (const stage of ['dev', 'prod']) expect((await ws.run(['init', '--stage', stage])).code).toBe(0);
  const r = await ws.run(['completion', 'bash']);
  expect(r.code, r.stderr).toBe(0);
  bashScript = path.join(ws.dir, 'completion.bash');
  fs.writeFileSync(bashScript, r.stdout);
});
afterAll(() => ws.cleanup());

/** What bash offers for the words typed so far (the last one is the word being completed). */
function complete(...words: string[]): string[] {
  const line = ['stage-secrets', ...words].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const out = execFileSync(
    'bash',
    [
      '--norc',
      '-c',
      `source "$1"; COMP_WORDS=(${line}); COMP_CWORD=${words.length}; _stage_secrets; printf '%s\\n' "\${COMPREPLY[@]}"`,
      'bash',
      bashScript,
    ],
    { cwd: ws.dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: ws.dir } },
  );
  return out.split('\n').filter(Boolean).sort();
}

describe('completion bash', () => {
  it('registers itself for stage-secrets', () => {
    const out = execFileSync('bash', ['--norc', '-c', 'source "$1"; complete -p stage-secrets', 'bash', bashScript], {
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('complete -o default -F _stage_secrets stage-secrets');
  });

  it('offers every command of the registry, then the options of the one typed', async () => {
    const names = (await allCommands()).map((c) => c.name).sort();
    expect(complete('')).toEqual(names);
    expect(complete('re')).toEqual(['review', 'rewrap']);
    expect(complete('review', '--')).toEqual(['--base', '--dir', '--format', '--help', '--stage', '--strict']);
    expect(complete('set', '--e')).toEqual(['--expires']);
  });

  it("offers an option's values: fixed words, and the stage files for --stage, with options before the command too", () => {
    expect(complete('export', '--format', 'd')).toEqual(['dotenv']);
    expect(complete('set', '-t', '')).toEqual(['json', 'number', 'string']);
    expect(complete('list', '--stage', '')).toEqual(['dev', 'prod']);
    expect(complete('--stage', 'dev', 'review', '--format', '')).toEqual(['json', 'markdown', 'text']);
  });
});

describe('completion zsh and fish', () => {
  it('name every command and each of its options', async () => {
    const zsh = await ws.run(['completion', 'zsh']);
    const fish = await ws.run(['completion', 'fish']);
    expect(zsh.code).toBe(0);
    expect(fish.code).toBe(0);
    expect(zsh.stdout.startsWith('#compdef stage-secrets\n')).toBe(true);
    for (const spec of await allCommands()) {
      expect(zsh.stdout).toContain(`    ${spec.name})\n`);
      expect(fish.stdout).toContain(`-a ${spec.name} -d`);
      for (const option of Object.keys(spec.options)) {
        expect(zsh.stdout, `${spec.name} --${option}`).toMatch(new RegExp(`--${option}[[,}]`));
        expect(fish.stdout, `${spec.name} --${option}`).toContain(
          `__fish_seen_subcommand_from ${spec.name}" -l ${option}`,
        );
      }
    }
  });

  it('refuses another shell', async () => {
    const r = await ws.run(['completion', 'powershell']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('completion needs one shell: bash, zsh, fish');
  });
});
