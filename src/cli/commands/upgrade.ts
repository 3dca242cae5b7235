import { upgradeStage } from '../../stages/upgrade.js';
import { defineCommand, stageOptions, STAGE_OPTIONS, write } from '../command.js';

export const command = defineCommand({
  name: 'upgrade',
  summary: 'rewrite a v1/v2 stage file as v3, one file per secret (needs no key)',
  usage: 'stage-secrets upgrade --stage S',
  description: `Rewrites a stage file of format version 1 or 2 (every secret in secrets/<S>.json) as version 3: the
header stays in secrets/<S>.json and each secret becomes its own file secrets/<S>/<NAME>.json. Every
sealed value and approval tag is kept byte for byte, so no key is needed and every value still opens.
Version 3 merges with plain git: two branches that change different secrets change different files,
so any merge (a clone without git-setup, a rebase, a merge button) combines them; the merge driver is
only for version-2 files. Commit secrets/<S>.json and secrets/<S>/ together.
An upgrade that stopped half-way (or a merge of an upgraded branch with one that still wrote the old
file) is finished by running it again: entries only the folder has are kept, the file's own win.
Running it on a version-3 stage changes nothing.`,
  options: { ...STAGE_OPTIONS },
  async run({ values }, io) {
    const opts = stageOptions('upgrade', values, io);
    const result = await upgradeStage(opts);
    if (result.from === 3) {
      write(io.stderr, `stage ${opts.stage} is already format version 3 (one file per secret); nothing to do`);
      return 0;
    }
    write(
      io.stderr,
      `upgraded stage ${opts.stage} from format version ${result.from} to 3: ${result.secrets} secret file(s) in ` +
        `${result.folder}, values and approvals unchanged. Commit ${result.header} and ${result.folder}.`,
    );
    if (result.keptFromFolder.length)
      write(io.stderr, `kept entries the folder already had: ${result.keptFromFolder.join(', ')}`);
    if (result.replacedInFolder.length)
      write(io.stderr, `rewrote from the version-${result.from} file: ${result.replacedInFolder.join(', ')}`);
    return 0;
  },
});
