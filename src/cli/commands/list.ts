import { listSecretsChecked, type ApprovalStatus } from '../../stages/list.js';
import { listStages } from '../list-stages.js';
import { gitUntrackedNote, stageFiles } from '../../stages/git-tracking.js';
import { namesNewerInStore } from '../../stages/pull.js';
import { defineCommand, stageOptions, STAGE_OPTIONS, write } from '../command.js';
import { runtimeStoreFromOptions, RUNTIME_STORE_OPTION } from '../runtime-store-option.js';

const STATUS_TEXT: Record<ApprovalStatus, string> = {
  pending: 'PENDING',
  unverified: 'tagged (unverified)',
  approved: 'approved',
  invalid: 'tag does not verify',
  open: 'open policy',
};
const STATUS_WIDTH = Math.max(...Object.values(STATUS_TEXT).map((t) => t.length));

export const command = defineCommand({
  name: 'list',
  summary: 'show secret names, types and dates (never values)',
  usage: `stage-secrets list --stage S [--store URL] [--json]
stage-secrets list [--json]       every stage of the app: secrets, pending names, last update`,
  description: `Lists the secrets of a stage: name, type, when it was last set, and the name's approval (pending
names make the build refuse the stage: see npx --no-install stage-secrets approve --help). Needs no key; never shows
values. Without the key an approval tag cannot be checked, and a writer can make up a well-formed
one: such names say "tagged (unverified)". With the stage key at hand (a local key here, or KMS
with AWS credentials; one quick attempt) every tag is checked: "approved", or "tag does not verify"
(made up, copied, or revoked: the build refuses it), or "open policy" (a verified approve --open).
With a runtime store (--store or $STAGE_SECRETS_STORE), also marks names whose store value is newer
than the stage file's (stage-secrets pull folds them in); that needs read access to the store (S3:
s3:ListBucket and s3:GetObject; SSM: ssm:GetParametersByPath; Secrets Manager: secretsmanager:ListSecrets
and secretsmanager:GetSecretValue).
In a git repository, also names the stage's files git does not track (a clone or CI build lacks them).

Without --stage, lists every stage in the app's secrets folder (keyless): its number of secrets,
of pending names (no approval tag; not checked, as no key is used), the newest update and the app.
Exit 2 when a stage file cannot be read.`,
  options: {
    json: {
      type: 'boolean',
      help: `print a JSON array of {name, type, updated, approved, approval} (and storeNewer with
a store). approved: the entry carries a tag, checked or not (as before); approval:
pending | unverified | approved | invalid | open, as above`,
    },
    'show-refs': {
      type: 'boolean',
      help: `with the stage key at hand, show each reference's target (ssm:/..., secretsmanager:...)
instead of just "reference". Targets are sealed: not secret, but kept off CI logs
unless asked for`,
    },
    ...RUNTIME_STORE_OPTION,
    ...STAGE_OPTIONS,
    stage: { ...STAGE_OPTIONS.stage, help: 'stage name (without it: every stage)' },
  },
  async run({ values }, io) {
    if (values.stage === undefined && values.store === undefined) {
      return listStages(values, io);
    }
    const opts = stageOptions('list', values, io);
    const location = runtimeStoreFromOptions(values, io.env);
    const newer = location && (await namesNewerInStore(opts, location));
    const checked = await listSecretsChecked(opts, { showRefs: values['show-refs'] === true });
    const secrets = checked.secrets.map((s) => (newer ? { ...s, storeNewer: newer.has(s.name) } : s));
    const untracked = gitUntrackedNote(stageFiles(opts), io.cwd, io.env);
    if (untracked) write(io.stderr, untracked);
    if (values.json) {
      write(io.stdout, JSON.stringify(secrets, null, 2));
      return 0;
    }
    if (secrets.length === 0) {
      write(
        io.stderr,
        `stage ${opts.stage} has no secrets yet; add one with: npx --no-install stage-secrets set --stage ${opts.stage} KEY`,
      );
      return 0;
    }
    const width = Math.max(4, ...secrets.map((s) => s.name.length));
    // the expiry and owner columns only when some entry has them, so other stages list as before
    const meta = secrets.some((s) => s.expires || s.owner);
    // the reference column only when some entry is one, last, so other stages list as before
    const refs = secrets.some((s) => s.ref);
    const ownerWidth = Math.max(5, ...secrets.map((s) => (s.owner ?? '-').length));
    const metaCells = (expires: string, owner: string) =>
      meta ? `  ${expires.padEnd(24)}  ${refs ? owner.padEnd(ownerWidth) : owner}` : '';
    const refCell = (s: (typeof secrets)[number]) => (s.ref ? (s.target ?? 'reference') : '-');
    const rows = [
      `${'NAME'.padEnd(width)}  TYPE    UPDATED                   ${newer ? `${'APPROVAL'.padEnd(STATUS_WIDTH)}  STORE` : meta || refs ? 'APPROVAL'.padEnd(STATUS_WIDTH) : 'APPROVAL'}${metaCells('EXPIRES', 'OWNER')}${refs ? `${newer ? '  ' : ''}  REFERENCE` : ''}`,
      ...secrets.map((s) =>
        `${s.name.padEnd(width)}  ${s.type.padEnd(6)}  ${s.updated.padEnd(24)}  ${STATUS_TEXT[s.approval].padEnd(STATUS_WIDTH)}${newer ? `  ${(s.storeNewer ? 'newer' : '-').padEnd(5)}` : ''}${metaCells(s.expires ?? '-', s.owner ?? '-')}${refs ? `  ${refCell(s)}` : ''}`.trimEnd(),
      ),
    ];
    write(io.stdout, rows.join('\n'));
    write(io.stderr, `identities (who can open stage ${opts.stage}): ${checked.identities.join('; ')}`);
    if (!checked.checkedWith && secrets.some((s) => s.approval === 'unverified')) {
      const note = 'no stage key here: approval tags are not checked (a writer can make up one)';
      write(io.stderr, `${note}; verify and the build check them.`);
    }
    if (checked.allowedRefs) {
      const how = checked.allowedRefs.checked ? '' : checked.checkedWith ? '' : ' (not checked: no stage key here)';
      write(io.stderr, `reference targets limited to: ${checked.allowedRefs.prefixes.join(', ')}${how}`);
    }
    if (values['show-refs'] && !checked.checkedWith && secrets.some((s) => s.ref)) {
      write(io.stderr, 'no stage key here: reference targets are sealed; a key holder sees them with --show-refs.');
    }
    if (checked.problem) {
      write(io.stderr, `${checked.problem} The build refuses this stage; restore the stage file from git.`);
    }
    const invalid = secrets.filter((s) => s.approval === 'invalid').map((s) => s.name);
    if (invalid.length) {
      const fix = `npx --no-install stage-secrets approve --stage ${opts.stage} ${invalid.join(' ')}`;
      write(
        io.stderr,
        `approval tags that do not verify under ${checked.checkedWith}: ${invalid.join(', ')}; ` +
          `the build refuses these names (made up, copied or revoked). Review them; a key holder approves them with: ${fix}`,
      );
    }
    const pending = secrets.filter((s) => s.approval === 'pending').map((s) => s.name);
    if (pending.length) {
      write(
        io.stderr,
        `pending approval: ${pending.join(', ')}; the build refuses this stage until a key holder runs: npx --no-install stage-secrets approve --stage ${opts.stage} ${pending.join(' ')}`,
      );
    }
    const oldKey = secrets.filter((s) => s.sealedToOtherKey).map((s) => s.name);
    if (oldKey.length) {
      write(
        io.stderr,
        `sealed to a previous key (set before the stage was rotated, merged after): ${oldKey.join(', ')}; the build ` +
          'refuses this stage, and whoever held that key may read the values. Set each again: ' +
          oldKey.map((n) => `npx --no-install stage-secrets set --stage ${opts.stage} ${n}`).join('; '),
      );
    }
    if (newer?.size) {
      write(
        io.stderr,
        `newer in the runtime store ${location!.url}: ${[...newer].sort().join(', ')}; fold them into the stage file with: npx --no-install stage-secrets pull --stage ${opts.stage}`,
      );
    }
    return 0;
  },
});
