import { pullStage } from '../../stages/pull.js';
import { defineCommand, stageOptions, STAGE_OPTIONS, write } from '../command.js';
import { requireRuntimeStore, RUNTIME_STORE_OPTION } from '../runtime-store-option.js';

export const command = defineCommand({
  name: 'pull',
  summary: 'fold newer values from the runtime store into the stage file (needs no key)',
  usage: 'stage-secrets pull --stage S [--store URL] [--json]',
  description: `Folds values that running functions wrote to the runtime store (SecretClient.updateSecret with a
store) back into secrets/<S>.json, so the repo catches up and the next deploy does not roll a runtime
update back. Each store entry newer than the file's replaces it as sealed (no key needed: it is sealed
to the stage's public key); the name keeps its approval; other entries keep their bytes. Names the
stage file does not have are never added. Commit the stage file afterwards.

Without a key only the form of a pulled entry is checked (schema, name, type, sizes); with a key at
hand (as set uses) each value is also opened, and one that does not open is refused. verify and the
build open every value in any case.

The store is s3://BUCKET/PREFIX, ssm://PATH or secretsmanager://PREFIX (docs/runtime-store.md).
Needs read access to the stage's folder of it: S3: s3:ListBucket (on the stage's prefix) and
s3:GetObject; SSM: ssm:GetParametersByPath; Secrets Manager: secretsmanager:ListSecrets and
secretsmanager:GetSecretValue. AWS settings as usual (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_S3,
AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL_SECRETS_MANAGER).`,
  options: {
    json: { type: 'boolean', help: 'print {store, updated, ignored, opened} as JSON' },
    ...RUNTIME_STORE_OPTION,
    ...STAGE_OPTIONS,
  },
  async run({ values }, io) {
    const opts = stageOptions('pull', values, io);
    const location = requireRuntimeStore('pull', values, io.env);
    const result = await pullStage(opts, location);
    if (values.json) {
      write(io.stdout, JSON.stringify(result, null, 2));
      return 0;
    }
    const n = result.updated.length;
    write(
      io.stdout,
      n === 0
        ? `0 secrets updated: stage ${opts.stage} is up to date with ${result.store}`
        : `${n} secret${n === 1 ? '' : 's'} updated: ${result.updated.join(', ')}`,
    );
    if (result.ignored.length) {
      write(
        io.stderr,
        `ignored store values of names stage ${opts.stage} does not have: ${result.ignored.join(', ')} (add a name with stage-secrets set)`,
      );
    }
    if (n > 0 && !result.opened)
      write(io.stderr, 'no key here: checked the form of the pulled entries, not their values (verify opens them).');
    return 0;
  },
});
