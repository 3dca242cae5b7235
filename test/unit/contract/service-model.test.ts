import { describe, expect, it } from 'vitest';
import { secretVariables, serviceModel } from '../../../src/contract/service-model.js';

describe('secretVariables', () => {
  it('names ${secret:NAME} without a fallback, not with one, nor a computed name', () => {
    expect(secretVariables('${secret:API_KEY}')).toEqual(['API_KEY']);
    expect(secretVariables("a-${secret:ONE}-${secret:TWO, 'x'}-${secret: THREE }")).toEqual(['ONE', 'THREE']);
    expect(secretVariables('${secret:WITH_VAR, ${self:custom.x}}')).toEqual([]);
    expect(secretVariables('${secret:${sls:stage}_KEY}')).toEqual([]);
    expect(secretVariables('${secret:not a name}')).toEqual([]);
    expect(secretVariables('${self:secret:NOPE}')).toEqual([]);
  });
});

describe('serviceModel', () => {
  it('functions with their lists (auto included), yaml environment names, settings and variables', () => {
    const lines: Record<string, number> = { '["functions","api"]': 5, '["functions","api","secrets"]': 7 };
    const model = serviceModel(
      {
        service: { name: 'svc' },
        provider: { environment: { FROM_PROVIDER: 'x' } },
        custom: { stageSecrets: { secrets: 'auto', required: ['A', 'not a name'], optional: ['B'], dir: 'cfg' } },
        functions: {
          worker: { handler: 'w.main', environment: { OWN: '1' } },
          api: { handler: 'a.main', secrets: ['C'] },
          image: { image: 'x' },
        },
      },
      '/app/svc/serverless.yml',
      {
        lineOf: (p) => lines[JSON.stringify(p)],
        strings: [{ path: ['functions', 'api', 'environment', 'X'], text: '${secret:D}', line: 9 }],
      },
    );
    expect(model).toMatchObject({
      name: 'svc',
      dir: '/app/svc',
      serviceSecrets: 'auto',
      required: [{ name: 'A' }],
      optional: [{ name: 'B' }],
      variables: [{ name: 'D', line: 9, function: 'api' }],
      secretsDir: 'cfg',
    });
    expect(model.functions).toEqual([
      { name: 'api', handler: 'a.main', line: 5, secrets: ['C'], secretsLine: 7, environment: ['FROM_PROVIDER'] },
      {
        name: 'image',
        handler: undefined,
        line: undefined,
        secrets: undefined,
        secretsLine: undefined,
        environment: ['FROM_PROVIDER'],
      },
      {
        name: 'worker',
        handler: 'w.main',
        line: undefined,
        secrets: undefined,
        secretsLine: undefined,
        environment: ['FROM_PROVIDER', 'OWN'],
      },
    ]);
  });
});
