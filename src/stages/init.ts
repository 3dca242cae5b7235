import { generateStageKeyPair } from '../core/crypto.js';
import { StageSecretsError } from '../core/errors.js';
import { FORMAT_VERSION, type StageFile } from '../core/format.js';
import { assertStageName } from '../core/names.js';
import { recipientFor, type IdentitySpec } from '../identities/index.js';
import type { StageOptions } from './options.js';
import { storeFor } from './read.js';
import { contextOf } from './sealing.js';

export interface InitResult {
  file: StageFile;
  /** one-time guidance from the identities (never key material) */
  notices: string[];
  path: string;
}

/** Creates the stage file: a new keypair, its private key wrapped for each identity. */
export async function initStage(opts: StageOptions, identities: IdentitySpec[]): Promise<InitResult> {
  assertStageName(opts.stage);
  const app = typeof opts.app === 'string' ? opts.app : opts.app?.name;
  if (!app) throw new StageSecretsError('USAGE', 'init needs the app name');
  if (identities.length === 0) throw new StageSecretsError('USAGE', 'init needs at least one identity (--local or --kms KEY_ID)');
  const store = storeFor(opts);
  const env = opts.env ?? process.env;
  const notices: string[] = [];
  const file = await store.update(opts.stage, async (current) => {
    if (current) {
      throw new StageSecretsError(
        'ALREADY_EXISTS',
        `${store.displayPath(opts.stage)} already exists; use rotate for a new keypair or rewrap to change identities.`,
      );
    }
    const pair = generateStageKeyPair();
    const next: StageFile = {
      version: FORMAT_VERSION,
      app,
      stage: opts.stage,
      publicKey: pair.publicKey.toString('base64'),
      identities: [],
      secrets: {},
    };
    try {
      for (const spec of identities) {
        const { record, notice } = await (await recipientFor(spec, env)).wrap(pair.privateKey, contextOf(next));
        next.identities.push(record);
        if (notice) notices.push(notice);
      }
    } finally {
      pair.privateKey.fill(0);
    }
    return next;
  });
  return { file, notices, path: store.displayPath(opts.stage) };
}
