import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS, packageService, prepareService, type SlsService } from '../support/sls-service.js';
import { CANARY, expectNoCanary, filesWithCanary } from './support.js';

/**
 * seed.yml's opt-out was read line by line: a typo in the key (`sls_set_secret_env: false`) or a value
 * that is no YAML boolean (`"no"`) was taken as "not set", and every secret went into the functions'
 * environment. Packaging must fail instead, naming the key and what to write.
 */
describe('a seed.yml opt-out that is misspelt or not a boolean fails the package', () => {
  const fw = FRAMEWORKS.find((f) => f.name === 'serverless')!;
  let svc: SlsService;

  beforeAll(async () => {
    const secrets = { API_KEY: CANARY, DB_PASSWORD: `${CANARY}-db` };
    svc = await prepareService('sls-opt-out', { stage: 'dev', secrets });
  }, 120_000);
  afterAll(() => svc?.ws.cleanup());

  const cases: Array<[string, string, string[]]> = [
    ['a misspelt key', 'sls_set_secret_env: false\n', ['sls_set_secret_env', 'did you mean sls_set_secret_envs']],
    ['a quoted "no"', 'sls_set_secret_envs: "no"\n', ['sls_set_secret_envs', 'must be true or false']],
  ];
  for (const [label, seed, expected] of cases) {
    it(`${label}: no template, the key named, no value anywhere`, async () => {
      fs.writeFileSync(path.join(svc.dir, 'seed.yml'), `# build spec\n${seed}before_compile:\n  - echo building\n`);
      const { result, template } = await packageService(fw, svc);
      expect(result.code, result.output).not.toBe(0);
      expect(template).toBeUndefined();
      for (const text of expected) expect(result.output).toContain(text);
      expect(result.output).toContain('seed.yml');
      expectNoCanary(result.output, 'framework output');
      expect(filesWithCanary(svc.dir)).toEqual([]);
    }, 120_000);
  }
});
