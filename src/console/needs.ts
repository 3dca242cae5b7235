import type { StageOptions } from '../stages/options.js';

/** A place in the app's code or config that needs a secret name (what the contract check reports). */
export interface Need {
  /** e.g. "service api, function hello" */
  who: string;
  /** e.g. "src/hello.ts:12" */
  where?: string;
}

/**
 * Who needs each name of a stage, for the delete confirmation and the matrix. The hook for the contract
 * check (`check`): until it exists nothing is known, and the page says so instead of naming functions.
 */
export async function namesNeededBy(_opts: StageOptions): Promise<Map<string, Need[]> | undefined> {
  return undefined;
}
