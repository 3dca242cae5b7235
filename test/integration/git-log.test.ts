import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';

describe('log: who changed which secret when, from git history', () => {
  let ws: Workspace;
  let env: NodeJS.ProcessEnv;
  let hashes: Record<string, string>;

  const ok = (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync('git', args, { cwd: ws.dir, env: { ...env, ...extra }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const cli = async (args: string[], keyless = false) => {
    const r = await ws.run(args, {
      env: { ...env, ...(keyless ? { XDG_CONFIG_HOME: path.join(ws.dir, '..', 'no-key') } : {}) },
    });
    if (r.code !== 0) throw new Error(`stage-secrets ${args.join(' ')}: ${r.stderr}`);
  };
  const commit = (label: string, who: string, date: string) => {
    const when = `${date}T10:00:00+00:00`;
    ok(['add', '-A']);
    ok(['commit', '-qm', label], {
      GIT_AUTHOR_NAME: who,
      GIT_AUTHOR_EMAIL: `${who.toLowerCase()}@example.com`,
      GIT_AUTHOR_DATE: when,
      GIT_COMMITTER_DATE: when,
    });
    hashes[label] = ok(['rev-parse', '--short', 'HEAD']);
  };

  beforeAll(async () => {
    ws = makeWorkspace('log-app');
    env = { ...ws.env, GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' };
    hashes = {};
    ok(['init', '-q', '-b', 'main']);
    ok(['config', 'user.name', 'Committer']);
    ok(['config', 'user.email', 'c@example.com']);
    ok(['config', 'commit.gpgsign', 'false']);
    await cli(['init', '--stage', 'dev']);
    await cli(['set', '--stage', 'dev', 'DB_URL', 'postgres://a']);
    commit('create', 'Alice', '2026-03-01');
    await cli(['set', '--stage', 'dev', 'API_KEY', 'k1'], true);
    await cli(['set', '--stage', 'dev', 'DB_URL', 'postgres://b'], true);
    commit('bob adds', 'Bob', '2026-03-02');
    fs.writeFileSync(path.join(ws.dir, 'README'), 'not a stage file\n');
    commit('unrelated', 'Bob', '2026-03-03');
    await cli(['approve', '--stage', 'dev', 'API_KEY']);
    await cli(['rm', '--stage', 'dev', 'DB_URL']);
    commit('alice approves', 'Alice', '2026-03-04');
  }, 60_000);
  afterAll(() => ws.cleanup());

  it('lists each change of the stage, newest first, with author, date and what happened per name', async () => {
    const r = await ws.run(['log', '--stage', 'dev'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        `${hashes['alice approves']}  2026-03-04T10:00:00+00:00  Alice`,
        '  approved API_KEY',
        '  removed DB_URL',
        `${hashes['bob adds']}  2026-03-02T10:00:00+00:00  Bob`,
        '  added API_KEY',
        '  changed DB_URL',
        `${hashes.create}  2026-03-01T10:00:00+00:00  Alice`,
        '  added DB_URL',
        '',
      ].join('\n'),
    );
  });

  it('follows one secret with NAME, and prints JSON with --json', async () => {
    const r = await ws.run(['log', '--stage', 'dev', 'DB_URL', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        commit: hashes['alice approves'],
        author: 'Alice',
        date: '2026-03-04T10:00:00+00:00',
        changes: [{ name: 'DB_URL', change: 'removed' }],
        header: false,
      },
      {
        commit: hashes['bob adds'],
        author: 'Bob',
        date: '2026-03-02T10:00:00+00:00',
        changes: [{ name: 'DB_URL', change: 'changed' }],
        header: false,
      },
      {
        commit: hashes.create,
        author: 'Alice',
        date: '2026-03-01T10:00:00+00:00',
        changes: [{ name: 'DB_URL', change: 'added' }],
        header: false,
      },
    ]);
  });

  it('shows a header change, and a merge commit only for what the merge itself decided', async () => {
    ok(['checkout', '-qb', 'side']);
    await cli(['set', '--stage', 'dev', 'SIDE', 's'], true);
    commit('side', 'Carol', '2026-03-05');
    ok(['checkout', '-q', 'main']);
    await cli(['approve', '--stage', 'dev', '--open']);
    commit('open', 'Alice', '2026-03-06');
    // no merge driver here: git merges the text, which works for entries on separate lines
    const when = '2026-03-07T10:00:00+00:00';
    ok(['merge', '-q', '--no-edit', 'side'], { GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when });
    const r = await ws.run(['log', '--stage', 'dev', '--json'], { env });
    const log = JSON.parse(r.stdout) as { commit: string; changes: unknown[]; header: boolean }[];
    expect(
      log
        .map((c) => c.commit)
        .slice(0, 2)
        .sort(),
    ).toEqual([hashes.open, hashes.side].sort());
    expect(log.find((c) => c.commit === hashes.open)).toMatchObject({ changes: [], header: true });
    expect(log.find((c) => c.commit === hashes.side)).toMatchObject({ changes: [{ name: 'SIDE', change: 'added' }] });
    expect((await ws.run(['log', '--stage', 'dev'], { env })).stdout).toContain(
      'changed the header (public key / identities / policy / approval epoch)',
    );
  });

  it('fails clearly outside a git repository', async () => {
    const other = makeWorkspace('no-git');
    try {
      const r = await other.run(['log', '--stage', 'dev'], {
        env: { GIT_CONFIG_NOSYSTEM: '1', GIT_CEILING_DIRECTORIES: path.dirname(other.dir) },
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/not inside a git work tree/);
    } finally {
      other.cleanup();
    }
  });
});
