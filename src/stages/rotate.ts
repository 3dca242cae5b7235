import { generateStageKeyPair, Sealer } from '../core/crypto.js';
import type { StageFile } from '../core/format.js';
import { recipientFor } from '../identities/index.js';
import { forgetUnwrappedKeys, openStageFile } from './open.js';
import type { StageOptions } from './options.js';
import { requireCurrent, storeFor } from './read.js';
import { contextOf, valueAad } from './sealing.js';

/** New stage keypair; every value re-sealed and every identity re-wrapped, or nothing written. */
export async function rotateStage(opts: StageOptions): Promise<{ secrets: number; identities: string[] }> {
  const env = opts.env ?? process.env;
  const store = storeFor(opts);
  let count = 0;
  const result = await store.update(opts.stage, async (found) => {
    const current = requireCurrent(found, opts, store);
    const values = (await openStageFile(current, env)).decryptAll();
    const pair = generateStageKeyPair();
    const next: StageFile = { ...current, publicKey: pair.publicKey.toString('base64'), identities: [], secrets: {} };
    try {
      for (const record of current.identities) {
        const { record: rewrapped } = await (await recipientFor(record, env)).wrap(pair.privateKey, contextOf(next));
        next.identities.push(rewrapped);
      }
    } finally {
      pair.privateKey.fill(0);
    }
    const sealer = new Sealer(pair.publicKey);
    for (const [name, value] of values) {
      next.secrets[name] = { type: value.type, updated: current.secrets[name]!.updated, ...sealer.seal(valueAad(next, name, value.type), value.text) };
    }
    count = values.size;
    return next;
  });
  forgetUnwrappedKeys();
  return { secrets: count, identities: result.identities.map((r) => r.id) };
}
