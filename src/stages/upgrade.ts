import { publicKeyFingerprint } from '../core/crypto.js';
import { FORMAT_VERSION, type SecretEntry, type StageFile } from '../core/format.js';
import type { StageOptions } from './options.js';
import { Stage, requireCurrent } from './stage.js';

export interface UpgradeResult {
  /** the format version before (3: nothing to do, nothing written) */
  from: number;
  /** secrets the stage has afterwards */
  secrets: number;
  /** entries the folder already had that the v1/v2 file did not (a branch that upgraded first), kept */
  keptFromFolder: string[];
  /** entries of the folder replaced by the v1/v2 file's (an upgrade that did not finish, run again) */
  replacedInFolder: string[];
  /** the header and the entry folder as messages show them (wherever --dir put them) */
  header: string;
  folder: string;
}

/**
 * Rewrites a v1/v2 stage as v3: the header, and one entry file per secret holding the sealed value and
 * approval tag byte for byte (the associated data does not depend on the layout: core/crypto.ts), each
 * marked as sealed to the file's key. Needs no key. The entries are written before the header, so an
 * upgrade that stops leaves the v1/v2 file, which names this command until it is run again. Entry files
 * already in the folder (a merge with a branch that upgraded first) are kept; the file's own win.
 */
export async function upgradeStage(opts: StageOptions): Promise<UpgradeResult> {
  const store = Stage.find(opts).store;
  const shown = {
    header: store.displayPath(opts.stage),
    folder: `${store.shown(store.entriesDir(opts.stage))}/`,
  };
  let result: UpgradeResult | undefined;
  await store.update(
    opts.stage,
    (found) => {
      const current = requireCurrent(found, opts, store);
      if (current.version === FORMAT_VERSION) {
        result = {
          from: current.version,
          secrets: Object.keys(current.secrets).length,
          keptFromFolder: [],
          replacedInFolder: [],
          ...shown,
        };
        return current;
      }
      const folder = store.readEntries(opts.stage);
      const sealedTo = publicKeyFingerprint(current.publicKey);
      const secrets: Record<string, SecretEntry> = {};
      const kept: string[] = [];
      for (const name of Object.keys(folder).sort()) {
        if (Object.hasOwn(current.secrets, name)) continue;
        secrets[name] = folder[name]!;
        kept.push(name);
      }
      for (const name of Object.keys(current.secrets).sort()) secrets[name] = { ...current.secrets[name]!, sealedTo };
      const replaced = Object.keys(folder)
        .filter((name) => Object.hasOwn(current.secrets, name))
        .sort();
      result = {
        from: current.version,
        secrets: Object.keys(secrets).length,
        keptFromFolder: kept,
        replacedInFolder: replaced,
        ...shown,
      };
      const next: StageFile = { ...current, version: FORMAT_VERSION, secrets };
      return next;
    },
    { leftoverEntries: true },
  );
  return result!;
}
