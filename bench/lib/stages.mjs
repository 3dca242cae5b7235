// Synthetic stages for the benchmark, made with the stages layer itself and the local identity.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from './paths.mjs';
import { secretName, secretValue } from './values.mjs';

const load = (p) => import(pathToFileURL(path.join(REPO, 'dist/src', p)).href);
const stages = {
  ...(await load('stages/init.js')),
  ...(await load('stages/secrets.js')),
  ...(await load('stages/open-file.js')),
  ...(await load('stages/stage.js')),
  ...(await load('stages/approve.js')),
};
const crypto = await load('core/crypto.js');
const format = await load('core/format.js');

/**
 * An app folder with its own config home (local keys land there) and a clean env for the CLI:
 * the inherited env minus STAGE_SECRETS_* and AWS_* settings.
 */
export function makeApp(root, app) {
  const dir = path.join(root, app);
  const config = path.join(root, 'config');
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(config, { recursive: true });
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('STAGE_SECRETS_') && !k.startsWith('AWS_') && k !== 'SLS_SET_SECRET_ENVS') env[k] = v;
  }
  env.XDG_CONFIG_HOME = config;
  env.HOME = root;
  return { dir, config, env, app };
}

function optionsFor(appInfo, stage) {
  return { stage, app: appInfo.app, cwd: appInfo.dir, env: appInfo.env };
}

/**
 * Creates stage `stage` with `n` secrets.
 * mode "batch": one setSecrets call (one ephemeral key shared by all values), as `import` does.
 * mode "each": one Sealer (one ephemeral key) per value, as n separate `set`s produce; the file is
 * built in memory and written once through the store (same bytes as n sets, without O(n^2) rewrites).
 */
export async function makeStage(appInfo, stage, n, mode, valueSize = 24) {
  const opts = optionsFor(appInfo, stage);
  await stages.initStage(opts, [{ type: 'local' }]);
  if (n === 0) return;
  if (mode === 'batch') {
    const secrets = [];
    for (let i = 0; i < n; i++) secrets.push({ name: secretName(i), type: 'string', value: secretValue(i, valueSize) });
    await stages.setSecrets(opts, secrets);
    return;
  }
  const store = stages.Stage.find(opts).store;
  await store.update(stage, (current) => {
    const publicKey = Buffer.from(current.publicKey, 'base64');
    const secrets = { ...current.secrets };
    const updated = new Date().toISOString();
    for (let i = 0; i < n; i++) {
      const name = secretName(i);
      const aad = crypto.associatedData(['value', current.app, current.stage, name, 'string']);
      secrets[name] = { type: 'string', updated, ...new crypto.Sealer(publicKey).seal(aad, secretValue(i, valueSize)) };
    }
    return { ...current, secrets };
  });
  // the entries were written by hand, as a writer without the key would: the key holder approves them
  await stages.approveNames(opts, { names: [] });
}

/** Checks a generated stage opens fully (so the benchmark never times a failing run). */
export async function checkStage(appInfo, stage, n) {
  stages.forgetUnwrappedKeys();
  const opened = await stages.Stage.find(optionsFor(appInfo, stage)).open();
  const values = opened.decryptAll();
  if (values.size !== n) throw new Error(`stage ${stage}: expected ${n} secrets, opened ${values.size}`);
  stages.forgetUnwrappedKeys();
}

/** Writes a v3 stage back as the one version-2 file it was before `upgrade` (the entry folder removed). */
export function writeAsV2(appInfo, stage) {
  const secretsDir = path.join(appInfo.dir, 'secrets');
  const file = stages.Stage.find(optionsFor(appInfo, stage)).read();
  const secrets = Object.fromEntries(
    Object.entries(file.secrets).map(([name, { sealedTo: _key, ...entry }]) => [name, entry]),
  );
  fs.rmSync(path.join(secretsDir, stage), { recursive: true, force: true });
  fs.writeFileSync(path.join(secretsDir, `${stage}.json`), format.serializeStageFile({ ...file, version: 2, secrets }));
}
