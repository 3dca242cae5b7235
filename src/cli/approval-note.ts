import type { SetResult } from '../stages/secrets.js';

/** What set and import tell the writer about approval: who approved, or what is now pending and why. */
export function approvalNote(stage: string, result: SetResult): string | undefined {
  if (result.pending.length > 0) {
    const names = result.pending.join(' ');
    return `pending approval: ${result.pending.join(', ')} (no key of stage ${stage} here). The build refuses this stage until a key holder runs: npx --no-install stage-secrets approve --stage ${stage} ${names}`;
  }
  if (result.approvedWith) return `names approved with ${result.approvedWith}`;
  return undefined;
}
