import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { generateStageKeyPair } from '../core/crypto.js';
import { StageSecretsError } from '../core/errors.js';
import { appNameProblem, FORMAT_VERSION, type StageFile } from '../core/format.js';
import { assertStageName, shownName } from '../core/names.js';
import { recipientFor, type IdentitySpec } from '../identities/index.js';
import { stagesIn } from './locate.js';
import type { ExpectedApp, StageOptions } from './options.js';
import { Stage } from './stage.js';
import type { StageStore } from '../store/stage-store.js';
import { contextOf } from './sealing.js';

export interface InitResult {
  file: StageFile;
  /** one-time guidance from the identities (never key material) */
  notices: string[];
  path: string;
  /** where the app name came from: "--app", "the app's other stage files", ... */
  appFrom: string;
}

/** The app already recorded by the other stage files of a secrets folder, when they agree on one. */
function recordedApp(opts: StageOptions, store: StageStore, dir: string): string | undefined {
  const apps = new Set<string>();
  for (const other of stagesIn(dir, opts.fs ?? nodeFs) ?? []) {
    try {
      apps.add(store.read(other).app);
    } catch {
      // a damaged or foreign file does not name the app; verify reports it
    }
  }
  if (apps.size > 1) {
    throw new StageSecretsError(
      'FORMAT',
      `${dir} holds stage files of several apps (${[...apps].sort().join(', ')}); one secrets folder belongs to one app. Move the other app's files to its own folder.`,
    );
  }
  return apps.values().next().value;
}

/** The folders that `mkdir -p dir` would create, deepest first: removed again when init fails. */
function missingFolders(dir: string, fs: { existsSync(p: string): boolean }): string[] {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !fs.existsSync(d) && path.dirname(d) !== d; d = path.dirname(d)) missing.push(d);
  return missing;
}

/**
 * Creates the stage file: a new keypair, its private key wrapped for each identity. The folder is the
 * app root found from the working folder (stages/locate.ts), else ./secrets (or the explicit one). The
 * app is the one the folder's other stage files record; for an app's first stage, opts.app, else
 * `defaultApp()`. A failed init leaves no folder it created behind.
 */
export async function initStage(
  opts: StageOptions,
  identities: IdentitySpec[],
  defaultApp?: () => ExpectedApp | Promise<ExpectedApp>,
): Promise<InitResult> {
  assertStageName(opts.stage);
  if (identities.length === 0)
    throw new StageSecretsError('USAGE', 'init needs at least one identity (--local or --kms KEY_ID)');
  const stage = Stage.find(opts, 'create');
  const located = stage.location;
  const store = stage.store;
  if ((opts.fs ?? nodeFs).existsSync(located.file)) {
    throw new StageSecretsError(
      'ALREADY_EXISTS',
      `${store.displayPath(opts.stage)} already exists; use rotate for a new keypair or rewrap to change identities.`,
    );
  }
  const explicit = typeof opts.app === 'string' ? { name: opts.app, from: 'the app option' } : opts.app;
  const recorded = recordedApp(opts, store, located.dir);
  if (recorded !== undefined && explicit && explicit.name !== recorded) {
    throw new StageSecretsError(
      'APP_MISMATCH',
      `${store.displayPath(opts.stage)} would join the stages of app ${JSON.stringify(recorded)} in ${located.dir}, but ${explicit.from} says ${shownName(explicit.name)}. ` +
        `Leave out --app to add stage ${opts.stage} to ${recorded}, or pass --dir for a separate app's own secrets folder.`,
    );
  }
  const chosen =
    recorded !== undefined
      ? { name: recorded, from: "the app's other stage files" }
      : (explicit ?? (await defaultApp?.()));
  if (!chosen?.name) throw new StageSecretsError('USAGE', 'init needs the app name');
  const app = chosen.name;
  // package.json's name and the folder name are a repo writer's text: never echoed, never recorded as they are
  const appProblem = appNameProblem(app);
  if (appProblem) {
    throw new StageSecretsError(
      'USAGE',
      `the app name from ${chosen.from} cannot be recorded in a stage file: ${appProblem}. Pass --app NAME.`,
    );
  }
  const env = opts.env ?? process.env;
  const notices: string[] = [];
  const created = opts.fs ? [] : missingFolders(located.dir, nodeFs);
  try {
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
    return { file, notices, path: store.displayPath(opts.stage), appFrom: chosen.from };
  } catch (err) {
    for (const dir of created) {
      try {
        nodeFs.rmdirSync(dir);
      } catch {
        break; // not empty (someone else wrote there meanwhile), or already gone
      }
    }
    throw err;
  }
}
