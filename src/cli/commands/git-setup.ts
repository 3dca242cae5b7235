import * as fs from 'node:fs';
import * as path from 'node:path';
import { StageSecretsError } from '../../core/errors.js';
import { git, repoRoot } from '../../git/git.js';
import { assertWritable, writeFileSafely } from '../../store/safe-write.js';
import { findSecretsDir } from '../../stages/locate.js';
import { defineCommand, write } from '../command.js';
import { realPathOf } from '../../core/real-path.js';

/** A word for the shell git runs drivers through (sh, also in Git for Windows). */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

export const command = defineCommand({
  name: 'git-setup',
  summary: 'set up git to merge and diff stage files (.gitattributes, git config)',
  usage: 'stage-secrets git-setup [--dir DIR]',
  description: `Sets up git to diff stage files readably and to merge format-2 files (neither needs a key). Stages of
format 3 (what init makes: one file per secret) merge with plain git and need only the textconv.
  - .gitattributes at the repository root: DIR/*.json merge=stage-secrets diff=stage-secrets (stage
    headers) and DIR/*/*.json diff=stage-secrets (the entry files of format 3, one per secret)
  - this repository's git config: merge.stage-secrets.driver and diff.stage-secrets.textconv, which call
    this installed stage-secrets directly with this node (no npx lookup on each call)
Running it again changes nothing; after moving or reinstalling stage-secrets, run it again.
.gitattributes is committed and shared; git config is per clone: each clone runs git-setup once.`,
  options: {
    dir: {
      type: 'string',
      value: 'DIR',
      help: `secrets folder (default: $STAGE_SECRETS_DIR, else the nearest secrets/ holding a
stage file from here up to the git root, else ./secrets)`,
      complete: 'dir',
    },
  },
  async run({ values }, io) {
    const root = repoRoot(io.cwd, io.env);
    // the folder every command finds (nearest secrets/ with a stage file), else ./secrets for an app without one yet
    const found = findSecretsDir({ stage: 'any', dir: values.dir, cwd: io.cwd, env: io.env });
    const secretsDir = 'dir' in found ? found.dir : path.resolve(io.cwd, 'secrets');
    // compare real paths: the repository root git prints has symlinks resolved
    const realDir = realPathOf(secretsDir);
    const relative = path.relative(fs.realpathSync(root), realDir);
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new StageSecretsError(
        'USAGE',
        `the secrets folder ${secretsDir} is outside the git repository ${root}; run git-setup in the repository that holds it.`,
      );
    }
    const folder = relative === '' ? '' : `${relative.split(path.sep).join('/').replace(/ /g, '[[:space:]]')}/`;
    // the header (DIR/<stage>.json) and, for format 3, each entry file (DIR/<stage>/<NAME>.json): `*` stops at /
    const lines = [`${folder}*.json merge=stage-secrets diff=stage-secrets`, `${folder}*/*.json diff=stage-secrets`];
    write(
      io.stderr,
      'the merge driver is for stage files of format 2 only; format-3 stages (one file per secret) merge with ' +
        'plain git (npx --no-install stage-secrets upgrade --stage S rewrites an older one)',
    );
    const done: string[] = [];

    const attributes = path.join(root, '.gitattributes');
    // a committed .gitattributes may be a link (to ~/.bashrc...): refused before it is read or written
    const target = { file: attributes, cwd: io.cwd };
    assertWritable(target);
    const current = fs.existsSync(attributes) ? fs.readFileSync(attributes, 'utf8') : '';
    const present = new Set(current.split(/\r?\n/).map((l) => l.trim()));
    const missing = lines.filter((line) => !present.has(line));
    for (const line of lines) if (present.has(line)) write(io.stderr, `.gitattributes already has: ${line}`);
    if (missing.length) {
      const sep = current === '' || current.endsWith('\n') ? '' : '\n';
      const mode = current === '' ? 0o644 : fs.statSync(attributes).mode & 0o777;
      writeFileSafely(target, `${current}${sep}${missing.join('\n')}\n`, { mode });
      done.push('.gitattributes');
      for (const line of missing)
        write(io.stderr, `${current === '' ? 'created' : 'added to'} .gitattributes: ${line}`);
    }

    const bin = fs.realpathSync(process.argv[1]!);
    const call = `${shellWord(process.execPath)} ${shellWord(bin)}`;
    const settings: [string, string][] = [
      ['merge.stage-secrets.name', 'stage-secrets: merge stage files secret by secret'],
      ['merge.stage-secrets.driver', `${call} merge-driver %O %A %B %P`],
      ['diff.stage-secrets.textconv', `${call} textconv`],
    ];
    for (const [key, value] of settings) {
      const existing = git(['config', '--local', '--get', key], root, io.env, true)?.replace(/\n$/, '');
      if (existing === value) {
        write(io.stderr, `git config ${key} already set`);
        continue;
      }
      git(['config', '--local', key, value], root, io.env);
      done.push(key);
      write(io.stderr, `git config ${key} ${existing === undefined ? 'set' : 'updated'}: ${value}`);
    }
    write(
      io.stderr,
      done.length
        ? `git-setup done; commit .gitattributes so everyone's git uses it${done.includes('.gitattributes') ? '' : ' (unchanged here)'}.`
        : 'git-setup: nothing to change, already set up.',
    );
    return 0;
  },
});
