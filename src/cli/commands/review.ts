import { StageSecretsError } from '../../core/errors.js';
import { assertStageName } from '../../core/names.js';
import { reviewStages } from '../../stages/review.js';
import {
  needsKeyHolder,
  REVIEW_FORMATS,
  renderReview,
  type ReviewFormat,
  unreadableStages,
} from '../../stages/review-report.js';
import { defineCommand, STAGE_OPTIONS, write } from '../command.js';

export const command = defineCommand({
  name: 'review',
  summary: 'what a change does to the stage files against a base commit, for pull requests (needs no key)',
  usage: 'stage-secrets review --base REF [--stage S] [--format text|markdown|json] [--strict]',
  description: `For a pull request: what the change (the work tree) does to the stage files against the commit REF,
needing no key. Per stage: names added, replaced, removed, approved or whose approval was withdrawn;
names pending approval and entries sealed to a previous key (the build refuses both); and, flagged
as needing a key holder's eye, any change to the stage header: its public key, identities, policy or
approval epoch. A writer without the key can forge each of those (a key of their own, a copied tag),
so read them before merging. Approval tags are reported, not checked: that needs the key (list and
verify check them). Never reads or prints a value.
Every secrets folder of the repository is reviewed, on both sides: each secrets/ holding a stage file
and any folder holding a stage header (a custom.stageSecrets.dir target), since the plugin and run open
the nearest one. A folder added, moved or removed is flagged (a copy of a stage at the base is named
with the entries that differ), and so is every file in a secrets folder that is neither a stage header
nor an entry, dot-files included; OS litter (.DS_Store, Thumbs.db, desktop.ini) is listed, not fatal.`,
  options: {
    base: {
      type: 'string',
      value: 'REF',
      help: `the commit to compare with, e.g. origin/main (in CI fetch it first:
git fetch origin main, or actions/checkout with fetch-depth: 0)`,
    },
    stage: { ...STAGE_OPTIONS.stage, help: 'only this stage (default: every stage on either side)' },
    dir: STAGE_OPTIONS.dir,
    format: {
      type: 'string',
      value: 'F',
      help: `text (default), markdown (for a GitHub step summary or a pull-request
comment) or json`,
      complete: REVIEW_FORMATS,
    },
    strict: {
      type: 'boolean',
      help: `exit 1 when names are pending, entries are sealed to a previous key, a
header changed, a secrets folder was added or removed, or a secrets folder
holds a file that is no header or entry (a gate a key holder clears);
otherwise review exits 0`,
    },
  },
  footer: 'Exit codes: 0 reviewed; 1 usage, or --strict found something; 2 a stage file could not be read.',
  async run({ values }, io) {
    if (!values.base)
      throw new StageSecretsError(
        'USAGE',
        'review needs --base REF. See: npx --no-install stage-secrets review --help',
      );
    if (values.stage !== undefined) assertStageName(values.stage);
    const format = (values.format ?? 'text') as ReviewFormat;
    if (!REVIEW_FORMATS.includes(format)) {
      throw new StageSecretsError(
        'USAGE',
        `--format is one of ${REVIEW_FORMATS.join(', ')}. See: npx --no-install stage-secrets review --help`,
      );
    }
    if (values.dir === '') throw new StageSecretsError('USAGE', '--dir needs a folder path.');
    const review = reviewStages({ base: values.base, stage: values.stage, dir: values.dir, cwd: io.cwd, env: io.env });
    io.stdout.write(renderReview(review, format));
    const unreadable = unreadableStages(review);
    if (unreadable.length) {
      write(io.stderr, `cannot read the stage files of ${unreadable.map((s) => s.stage).join(', ')}: see above.`);
      return 2;
    }
    if (values.strict && needsKeyHolder(review)) {
      write(
        io.stderr,
        'review --strict: names pending, entries sealed to a previous key, a header change, a secrets folder added or ' +
          'removed, or a file in a secrets folder that is no header or entry: see above.',
      );
      return 1;
    }
    return 0;
  },
});
