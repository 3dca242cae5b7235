import { confirmCommand } from '../../stages/identity-trust.js';
import { verifyStage } from '../../stages/verify.js';
import { gitUntrackedNote, stageFiles } from '../../stages/git-tracking.js';
import { defineCommand, stageOptions, STAGE_OPTIONS, write } from '../command.js';

/** From this many separately sealed values on, verify suggests re-sealing them in one batch. */
const RESEAL_HINT_KEYS = 100;

export const command = defineCommand({
  name: 'verify',
  summary: 'open every secret and report integrity',
  usage: 'stage-secrets verify --stage S [--show-refs] [--json]',
  description: `Unwraps the stage key with the first identity that works here, opens every secret, and reports
which identity opened the stage and which secrets fail their integrity check. Prints no values.
In a git repository, also names the stage's files git does not track (no clone or CI build has them).
Also checks every name's approval (see npx --no-install stage-secrets approve --help) and names the pending ones.
Exit 0 all good; 2 a secret or the file fails integrity, a value holds a NUL character (no build
can use it), names are pending, or an entry is sealed to a previous key (a branch set it before a
rotate and was merged after: set it again), or a reference's target is outside the prefixes a key
holder allowed (approve --allow-ref); 3 no identity could be used. References (set --ref) are listed
by name; --show-refs adds their targets (sealed in the repo: kept off CI logs unless asked for).
Values set one by one are each sealed under their own ephemeral key, and every key costs one X25519
agreement whenever the stage is opened (about 40 µs); from ${RESEAL_HINT_KEYS} such keys on, verify says so. rotate
re-seals every value under one key.`,
  options: {
    json: {
      type: 'boolean',
      help: `print {stage, app, identity, identityDescription, identities, unconfirmedIdentities, ok,
failed, nul, pending, open, sealedToOtherKey, references, allowedRefs, refsOutsideAllowed,
ephemeralKeys}`,
    },
    'show-refs': { type: 'boolean', help: "show each reference's target (ssm:/..., secretsmanager:...)" },
    ...STAGE_OPTIONS,
  },
  async run({ values }, io) {
    const opts = stageOptions('verify', values, io);
    const report = await verifyStage(opts, { showRefs: values['show-refs'] === true });
    const total = report.ok.length + report.failed.length + report.sealedToOtherKey.length;
    const untracked = gitUntrackedNote(stageFiles(opts), io.cwd, io.env);
    if (values.json) {
      write(io.stdout, JSON.stringify(report, null, 2));
      if (untracked) write(io.stderr, untracked);
    } else {
      write(
        io.stdout,
        `stage ${report.stage} (app ${report.app}): opened with ${report.identity}; ${report.ok.length} of ${total} secrets OK`,
      );
      write(io.stdout, `identities: ${report.identities.join('; ')}`);
      if (report.unconfirmedIdentities.length) {
        write(
          io.stdout,
          'identity records no key holder confirmed (rotate and rewrap refuse the stage while it has them):',
        );
        for (const u of report.unconfirmedIdentities) write(io.stdout, `  ${u.record}: ${u.problem}`);
        write(
          io.stdout,
          `confirm those you recognise: ${confirmCommand(report.stage)}; remove the others: ` +
            `npx --no-install stage-secrets rewrap --stage ${report.stage} --remove ID`,
        );
      }
      if (report.failed.length) write(io.stdout, `integrity check failed: ${report.failed.join(', ')}`);
      if (report.sealedToOtherKey.length) {
        const names = report.sealedToOtherKey;
        write(
          io.stdout,
          `sealed to a previous key: ${names.join(', ')}; set before the stage was rotated and merged after, so ` +
            'whoever held that key may read the value, and the build refuses this stage. Set each again: ' +
            names.map((n) => `npx --no-install stage-secrets set --stage ${report.stage} ${n}`).join('; '),
        );
      }
      for (const name of report.nul) {
        write(
          io.stdout,
          `${name}: the value contains a NUL character, which no environment variable can hold, so run, export ` +
            `and the plugin refuse this stage; set it again without it: ` +
            `npx --no-install stage-secrets set --stage ${report.stage} ${name}`,
        );
      }
      if (report.references.length) {
        const shown = report.references.map((r) => (r.target ? `${r.name} -> ${r.target}` : r.name)).join(', ');
        const how = values['show-refs'] ? '' : ' (targets with --show-refs)';
        write(io.stdout, `references (resolved by the build from AWS): ${shown}${how}`);
      }
      if (report.allowedRefs) write(io.stdout, `reference targets limited to: ${report.allowedRefs.join(', ')}`);
      if (report.refsOutsideAllowed.length) {
        const each = report.refsOutsideAllowed.map((r) => `${r.name} -> ${r.target}`).join(', ');
        write(
          io.stdout,
          `references outside the allowed prefixes: ${each}; the build refuses this stage. Point them at an allowed ` +
            `target (set NAME --ref TARGET), remove them, or widen the list (approve --allow-ref PREFIX...).`,
        );
      }
      if (report.pending.length) {
        write(
          io.stdout,
          `pending approval: ${report.pending.join(', ')}; the build refuses this stage until a key holder runs: npx --no-install stage-secrets approve --stage ${report.stage} ${report.pending.join(' ')}`,
        );
      }
      if (untracked) write(io.stdout, untracked);
      if (report.ephemeralKeys >= RESEAL_HINT_KEYS) {
        write(
          io.stdout,
          `note: the values are sealed under ${report.ephemeralKeys} ephemeral keys (set one by one), one X25519 agreement each whenever the stage is opened; npx --no-install stage-secrets rotate --stage ${report.stage} re-seals them under one.`,
        );
      }
    }
    const bad =
      report.failed.length +
      report.nul.length +
      report.pending.length +
      report.sealedToOtherKey.length +
      report.refsOutsideAllowed.length +
      report.unconfirmedIdentities.length;
    return bad ? 2 : 0;
  },
});
