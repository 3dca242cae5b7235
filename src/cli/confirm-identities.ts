import { StageSecretsError } from '../core/errors.js';
import { confirmIdentities, type UnconfirmedIdentity } from '../stages/approve.js';
import { confirmCommand, recordForReview, trustProblem } from '../stages/identity-trust.js';
import type { StageOptions } from '../stages/options.js';
import { write, type CliIo } from './command.js';

/** One line of a terminal, answered by the key holder. */
function askLine(io: CliIo, question: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      const end = text.indexOf('\n');
      if (end === -1) return;
      io.stdin.removeListener('data', onData);
      io.stdin.pause();
      resolve(text.slice(0, end).trim());
    };
    io.stderr.write(question);
    io.stdin.on('data', onData);
    io.stdin.resume();
  });
}

function show(io: CliIo, item: UnconfirmedIdentity): void {
  write(io.stderr, `  ${recordForReview(item.record)}`);
  const here = item.openedHere ? ' It unwrapped the stage key here.' : '';
  write(io.stderr, `    not confirmed: ${trustProblem(item.trust)}.${here}`);
}

/**
 * approve --identities: shows every identity record no key holder confirmed (recipient, key ARN, region),
 * then tags those the key holder confirms: one by one on a terminal, all shown with --yes (scripts). Without
 * a terminal and without --yes, nothing is confirmed.
 */
export async function runConfirmIdentities(
  io: CliIo,
  opts: StageOptions,
  ids: string[],
  yes: boolean,
): Promise<number> {
  const interactive = !yes && io.stdin.isTTY === true;
  let shown = 0;
  const result = await confirmIdentities(opts, {
    ids,
    async decide(item) {
      if (shown++ === 0) write(io.stderr, `identity records of stage ${opts.stage} no key holder confirmed:`);
      show(io, item);
      if (yes) return true;
      if (!interactive) return false;
      const answer = await askLine(io, `    confirm ${item.record.id} can open stage ${opts.stage}? [y/N] `);
      return /^y(es)?$/i.test(answer);
    },
  });
  if (result.unconfirmed.length === 0) {
    write(io.stderr, `every identity record of stage ${opts.stage} is confirmed by a key holder.`);
    return 0;
  }
  for (const item of result.unconfirmed.filter((i) => i.trust === 'id-not-derived')) {
    write(io.stderr, `  ${item.record.id} cannot be confirmed (its id is not the one its fields give).`);
  }
  if (result.confirmed.length) write(io.stderr, `confirmed: ${result.confirmed.join(', ')}`);
  if (result.left.length === 0) return 0;
  const remove = `npx --no-install stage-secrets rewrap --stage ${opts.stage} --remove ID`;
  if (!yes && !interactive && result.confirmed.length === 0) {
    throw new StageSecretsError(
      'USAGE',
      `nothing was confirmed: there is no terminal to ask on. Check each record above against who should open ` +
        `stage ${opts.stage}, then run ${confirmCommand(opts.stage)} --yes (or name the ones you recognise: ` +
        `--identities ID...), and remove any you do not recognise: ${remove}`,
    );
  }
  write(
    io.stderr,
    `not confirmed: ${result.left.join(', ')}. rotate and rewrap refuse the stage while it has them; remove any ` +
      `you do not recognise: ${remove}`,
  );
  return 1;
}
