import { describe, expect, it } from 'vitest';
import { readScriptConfig, readYamlConfig } from '../../../src/contract/config-file.js';

describe('readYamlConfig', () => {
  it('keeps variables unresolved and CloudFormation tags as plain values, with the line of each key and item', async () => {
    const doc = await readYamlConfig(
      [
        'service: svc',
        'provider:',
        '  environment:',
        '    DB: ${secret:DB_URL}',
        '    ARN: !Ref Table',
        'functions:',
        '  api:',
        '    handler: handler.main',
        '    secrets:',
        '      - API_KEY',
        '      - DB_URL',
      ].join('\n'),
    );
    expect(doc.value).toEqual({
      service: 'svc',
      provider: { environment: { DB: '${secret:DB_URL}', ARN: 'Table' } },
      functions: { api: { handler: 'handler.main', secrets: ['API_KEY', 'DB_URL'] } },
    });
    expect(doc.lineOf(['functions', 'api'])).toBe(7);
    expect(doc.lineOf(['functions', 'api', 'secrets', 1])).toBe(11);
    expect(doc.strings).toContainEqual({ path: ['provider', 'environment', 'DB'], text: '${secret:DB_URL}', line: 4 });
  });

  it('refuses text that is not YAML', async () => {
    await expect(readYamlConfig('a: [1, 2\n')).rejects.toThrow();
  });
});

describe('readScriptConfig', () => {
  it('serverless.ts: the exported object, read without running it (TypeScript lines kept)', async () => {
    const text = [
      "import type { AWS } from '@serverless/typescript';",
      'const functions = {',
      "  api: { handler: 'src/api.main', secrets: ['API_KEY'] as string[] },",
      '};',
      'const config: AWS = {',
      "  service: 'ts-svc',",
      '  provider: { name: "aws", environment: { STAGE: process.env.STAGE } },',
      '  functions,',
      '  custom: { stageSecrets: { required: [`DB_URL`] } },',
      '};',
      'module.exports = config;',
    ].join('\n');
    const doc = await readScriptConfig('serverless.ts', text);
    expect(doc.value).toEqual({
      service: 'ts-svc',
      provider: { name: 'aws', environment: { STAGE: undefined } },
      functions: { api: { handler: 'src/api.main', secrets: ['API_KEY'] } },
      custom: { stageSecrets: { required: ['DB_URL'] } },
    });
    expect(doc.lineOf(['functions', 'api', 'secrets'])).toBe(3);
    expect(doc.lineOf(['custom', 'stageSecrets', 'required', 0])).toBe(9);
  });

  it('export default of an ES module config', async () => {
    const doc = await readScriptConfig('serverless.mjs', "export default { service: 'esm-svc', functions: {} };\n");
    expect(doc.value).toEqual({ service: 'esm-svc', functions: {} });
  });

  it('refuses a config computed by a function: a keyless check runs no code', async () => {
    await expect(
      readScriptConfig('serverless.js', "module.exports = async () => ({ service: 'x' });\n"),
    ).rejects.toThrow('not an object literal');
  });
});
