import type { StageOptions } from './options.js';
import { openStageFile, type OpenedStage, type OpenStageOptions } from './open-file.js';
import { readStage } from './read.js';

export * from './open-file.js';

/** Reads the stage file, unwraps its key once and decrypts on demand. */
export async function openStage(opts: StageOptions, options: OpenStageOptions = {}): Promise<OpenedStage> {
  return openStageFile(readStage(opts), opts.env ?? process.env, options);
}
