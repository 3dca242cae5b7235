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
import { parse, write, type Command } from '../command.js';

const options = {
  base: { type: 'string' },
  stage: { type: 'string', short: 's' },
  dir: { type: 'string' },
  format: { type: 'string' },
  strict: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const command: Command = {
  name: 'review',
  help: `Usage: stage-secrets review --base REF [--stage S] [--format text|markdown|json] [--strict]

For a pull request: what the change (the work tree) does to the stage files against the commit REF,
needing no key. Per stage: names added, replaced, removed, approved or whose approval was withdrawn;
names pending approval and entries sealed to a previous key (the build refuses both); and, flagged
as needing a key holder's eye, any change to the stage header: its public key, identities, policy or
approval epoch. A writer without the key can forge each of those (a key of their own, a copied tag),
so read them before merging. Approval tags are reported, not checked: that needs the key (list and
verify check them). Never reads or prints a value.
      --base REF      the commit to compare with, e.g. origin/main (in CI fetch it first:
                      git fetch origin main, or actions/checkout with fetch-depth: 0)
  -s, --stage S       only this stage (default: every stage on either side)
      --dir DIR       secrets folder (default: $STAGE_SECRETS_DIR, else the nearest secrets/ holding a
                      stage file, from this folder upward, not past the git root)
      --format F      text (default), markdown (for a GitHub step summary or a pull-request
                      comment) or json
      --strict        exit 1 when names are pending, entries are sealed to a previous key, an
                      identity record has no key holder's tag, or a header changed (a gate a key
                      holder clears); otherwise review exits 0
  -h, --help          show this help
Exit codes: 0 reviewed; 1 usage, or --strict found something; 2 a stage file could not be read.`,
  async run(argv, io) {
    const { values } = parse('review', argv, options, false);
    if (values.help) {
      write(io.stdout, this.help);
      return 0;
    }
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
        'review --strict: names pending, entries sealed to a previous key or a header change: see above.',
      );
      return 1;
    }
    return 0;
  },
};
