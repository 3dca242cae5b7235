/**
 * References through the CLI as a process, in real git, keyless writer and key holder (local identity):
 * set --ref, approve --allow-ref, what list, review, the git textconv and log show. A target is sealed:
 * keyless commands say only that a name is a reference and that it changed; a key holder sees the target
 * with list --show-refs. No AWS is needed: nothing here resolves a reference.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitRepo, gitWorkspace } from '../support/git-repo.js';
import type { Workspace } from '../support/cli.js';

const DEV = ['--stage', 'dev'];
let ws: Workspace;
let repo: GitRepo;

beforeAll(async () => {
  ({ ws, repo } = gitWorkspace('refs-app'));
  await repo.cli(['init', ...DEV]);
  await repo.cli(['set', ...DEV, 'PLAIN', 'plain-value']);
  await repo.cli(['set', ...DEV, 'SHARED', '--ref', 'ssm:/org/shared/stripe-key']);
  await repo.cli(['set', ...DEV, 'SWITCH', 'switch-value']);
  await repo.cli(['set', ...DEV, 'BACK', '--ref', 'ssm:/org/shared/back']);
  repo.commitAll('base');
}, 60_000);

afterAll(() => ws.cleanup());

describe('set --ref', () => {
  it('refuses a malformed target, and a VALUE together with --ref, writing nothing', async () => {
    const before = ws.snapshot('dev');
    const bad = await repo.run(['set', ...DEV, 'X', '--ref', 'ssm:relative/name']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--ref');
    const both = await repo.run(['set', ...DEV, 'X', 'a-value', '--ref', 'ssm:/org/x']);
    expect(both.code).toBe(1);
    expect(both.stderr).not.toContain('a-value');
    expect(ws.snapshot('dev')).toBe(before);
  });

  it('by a key holder: approved; by a keyless writer: pending, with the approve command', async () => {
    const keyHolder = await repo.cli(['set', ...DEV, 'HOLDER_REF', '--ref', 'secretsmanager:prod/db#password']);
    expect(keyHolder.stderr).toContain('added HOLDER_REF (reference, string)');
    expect(keyHolder.stderr).toContain('names approved with');
    const writer = await repo.cli(['set', ...DEV, 'WRITER_REF', '--ref', 'ssm:/org/shared/x', '--type', 'json'], true);
    expect(writer.stderr).toContain('added WRITER_REF (reference, json)');
    expect(writer.stderr).toContain('pending approval: WRITER_REF');
    expect(writer.stderr).toContain('approve --stage dev WRITER_REF');
    // the key holder sees the target being approved
    const approve = await repo.cli(['approve', ...DEV, 'WRITER_REF']);
    expect(approve.stderr).toMatch(/WRITER_REF {2}\(json, reference to ssm:\/org\/shared\/x, set /);
    expect(approve.stderr).toContain('approved WRITER_REF');
    await repo.cli(['rm', ...DEV, 'HOLDER_REF']);
    await repo.cli(['rm', ...DEV, 'WRITER_REF']);
  });
});

describe('list', () => {
  it('keyless: says "reference", never the target; --show-refs without the key says why it cannot', async () => {
    const r = await repo.cli(['list', ...DEV, '--show-refs'], true);
    expect(r.stdout).toMatch(/SHARED\s+string\s+\S+\s+tagged \(unverified\)\s+reference/);
    expect(r.stdout).toMatch(/PLAIN\s+string\s+\S+\s+tagged \(unverified\)\s+-/);
    expect(r.stdout + r.stderr).not.toContain('stripe-key');
    expect(r.stderr).toContain('reference targets are sealed');
    const json = JSON.parse((await repo.cli(['list', ...DEV, '--json'], true)).stdout) as Array<
      Record<string, unknown>
    >;
    expect(json.find((s) => s.name === 'SHARED')).toMatchObject({ ref: true });
    expect(json.find((s) => s.name === 'PLAIN')?.ref).toBeUndefined();
  });

  it('key holder: "reference" by default (kept off CI logs), the target with --show-refs', async () => {
    const plain = await repo.cli(['list', ...DEV]);
    expect(plain.stdout).toMatch(/SHARED\s+string\s+\S+\s+approved\s+reference/);
    expect(plain.stdout).not.toContain('stripe-key');
    const shown = await repo.cli(['list', ...DEV, '--show-refs']);
    expect(shown.stdout).toMatch(/SHARED\s+string\s+\S+\s+approved\s+ssm:\/org\/shared\/stripe-key/);
    expect(shown.stdout).not.toContain('plain-value');
  });
});

describe('verify (key holder)', () => {
  it('lists references by name, targets with --show-refs; a target outside the allowed list fails it (exit 2)', async () => {
    const plain = await repo.cli(['verify', ...DEV]);
    expect(plain.stdout).toContain(
      'references (resolved by the build from AWS): BACK, SHARED (targets with --show-refs)',
    );
    expect(plain.stdout).not.toContain('stripe-key');
    const shown = await repo.cli(['verify', ...DEV, '--show-refs']);
    expect(shown.stdout).toContain('SHARED -> ssm:/org/shared/stripe-key');
    await repo.cli(['approve', ...DEV, '--allow-ref', 'secretsmanager:prod/']);
    const outside = await repo.run(['verify', ...DEV, '--json']);
    expect(outside.code).toBe(2);
    const report = JSON.parse(outside.stdout) as { refsOutsideAllowed: unknown[]; allowedRefs: string[] };
    expect(report.allowedRefs).toEqual(['secretsmanager:prod/']);
    expect(report.refsOutsideAllowed).toEqual([
      { name: 'BACK', target: 'ssm:/org/shared/back' },
      { name: 'SHARED', target: 'ssm:/org/shared/stripe-key' },
    ]);
    await repo.cli(['approve', ...DEV, '--clear-allow-ref']);
  });
});

describe('approve --allow-ref', () => {
  it('stores the list in the header; list shows it; --clear-allow-ref lifts it; a bad prefix is refused', async () => {
    const bad = await repo.run(['approve', ...DEV, '--allow-ref', 'http://x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('ssm:/');
    const set = await repo.cli([
      'approve',
      ...DEV,
      '--allow-ref',
      'ssm:/org/shared/',
      '--allow-ref',
      'secretsmanager:prod/',
    ]);
    expect(set.stderr).toContain('reference targets limited to secretsmanager:prod/, ssm:/org/shared/');
    const list = await repo.cli(['list', ...DEV], true);
    expect(list.stderr).toContain('reference targets limited to: secretsmanager:prod/, ssm:/org/shared/ (not checked');
    const holder = await repo.cli(['list', ...DEV]);
    expect(holder.stdout).toMatch(/SHARED\s+string\s+\S+\s+approved/);
    const combined = await repo.run(['approve', ...DEV, 'SHARED', '--allow-ref', 'ssm:/org/']);
    expect(combined.code).toBe(1);
    await repo.cli(['approve', ...DEV, '--clear-allow-ref']);
    const after = await repo.cli(['list', ...DEV]);
    expect(after.stderr).not.toContain('reference targets limited');
    expect(after.stdout).toMatch(/SHARED\s+string\s+\S+\s+approved/);
  });
});

describe('review, textconv and log without a key', () => {
  it('say "reference changed" for a new target, "became a reference" / "became a value" for a switch', async () => {
    await repo.cli(['git-setup']);
    repo.commitAll('git setup');
    await repo.cli(['set', ...DEV, 'SHARED', '--ref', 'ssm:/org/shared/other-key'], true);
    await repo.cli(['set', ...DEV, 'SWITCH', '--ref', 'ssm:/org/shared/switch'], true);
    await repo.cli(['set', ...DEV, 'ADDED', '--ref', 'secretsmanager:prod/app'], true);
    await repo.cli(['set', ...DEV, 'BACK', 'back-value'], true);
    const review = await repo.run(['review', '--base', 'main'], true);
    expect(review.stdout).toMatch(/reference changed \(target sealed[^\n]*SHARED/);
    expect(review.stdout).toMatch(/became a reference[^\n]*SWITCH/);
    expect(review.stdout).toMatch(/reference added[^\n]*ADDED/);
    expect(review.stdout).toMatch(/became a value[^\n]*BACK/);
    expect(review.stdout).not.toContain('back-value');
    const json = JSON.parse((await repo.run(['review', '--base', 'main', '--format', 'json'], true)).stdout) as {
      stages: Array<{ references?: Array<{ name: string; change: string }> }>;
    };
    expect(json.stages[0]!.references).toEqual(
      expect.arrayContaining([
        { name: 'SHARED', change: 'reference changed' },
        { name: 'SWITCH', change: 'became a reference' },
        { name: 'ADDED', change: 'reference added' },
        { name: 'BACK', change: 'became a value' },
      ]),
    );
    for (const out of [review.stdout, review.stderr]) {
      expect(out).not.toContain('other-key');
      expect(out).not.toContain('stripe-key');
    }
    const diff = repo.ok('diff', '--', path.join('secrets', 'dev', 'SHARED.json'));
    expect(diff).toMatch(/^\+string {2}reference \(target sealed\)/m);
    expect(diff).toMatch(/^-string {2}reference \(target sealed\)/m);
    expect(diff).not.toContain('other-key');
    repo.commitAll('writer changes');
    const log = await repo.cli(['log', ...DEV], true);
    expect(log.stdout).toContain('reference changed SHARED');
    expect(log.stdout).toContain('became a reference SWITCH');
    expect(log.stdout).toContain('reference added ADDED');
    expect(log.stdout).toContain('became a value BACK');
  });
});
