/**
 * Runtime mode grants the service role kms:Decrypt on the keys the stage file's aws-kms identities name.
 * Those fields are a keyless writer's text, and the build opens the stage with the first identity that
 * works, so an added identity is never used while packaging: one naming its key with an IAM wildcard or
 * variable (`arn:aws:kms:*:*:key/*`, `${...}`) would widen the deployed role's grant to other keys. The
 * plugin refuses it, as it refuses such characters in the runtime store's folder.
 */
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsEnv, startKmsServer, type KmsServer } from '../support/kms-server.js';
import { FRAMEWORKS, packageService, prepareService, type SlsService } from '../support/sls-service.js';

const fw = FRAMEWORKS.find((f) => f.name === 'serverless')!;

describe(`runtime mode and an aws-kms identity naming its key with a wildcard ('${fw.name}' '${fw.version}')`, () => {
  let kms: KmsServer;
  let svc: SlsService;
  let original: string;
  beforeAll(async () => {
    kms = await startKmsServer();
    kms.createKey({ alias: 'alias/runtime' });
    svc = await prepareService('sls-runtime', {
      stage: 'prod',
      secrets: { API_KEY: 'api-value-a93e71c0' },
      identity: { args: ['--kms', 'alias/runtime'], env: kmsEnv(kms) },
    });
    original = fs.readFileSync(svc.stageFile, 'utf8');
  });
  afterAll(async () => {
    svc?.ws.cleanup();
    await kms?.close();
  });

  const addIdentity = (fields: Record<string, string>) => {
    const file = JSON.parse(original) as { identities: Array<Record<string, unknown>> };
    const legit = file.identities[0]!;
    file.identities.push({ ...legit, id: 'aws-kms:added', ...fields });
    fs.writeFileSync(svc.stageFile, `${JSON.stringify(file, null, 2)}\n`);
  };

  for (const [label, fields, shown] of [
    ['keyArn', { keyId: 'added', keyArn: 'arn:aws:kms:*:*:key/*' }, '*'],
    ['keyId', { keyId: '*' }, '*'],
    ['region', { keyId: 'added', region: 'us-east-${AWS::NoValue}1' }, '$'],
  ] as const) {
    it(`in its ${label}: packaging is refused, no template is written`, async () => {
      addIdentity(fields);
      if (label !== 'keyArn') {
        const file = JSON.parse(fs.readFileSync(svc.stageFile, 'utf8')) as {
          identities: Array<Record<string, unknown>>;
        };
        delete file.identities[1]!.keyArn;
        fs.writeFileSync(svc.stageFile, `${JSON.stringify(file, null, 2)}\n`);
      }
      const { result, template } = await packageService(fw, svc);
      expect(result.code).not.toBe(0);
      expect(template).toBeUndefined();
      expect(result.output).toContain(
        `identity aws-kms:added names its key with ${JSON.stringify(shown)}, which IAM reads as a wildcard or variable`,
      );
      expect(fs.existsSync(`${svc.dir}/.stage-secrets-runtime`)).toBe(false);
    });
  }

  it('the untouched stage file still packages', async () => {
    fs.writeFileSync(svc.stageFile, original);
    const { result } = await packageService(fw, svc);
    expect(result.code, result.output).toBe(0);
  });
});
