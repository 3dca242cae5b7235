import { describe, expect, it } from 'vitest';
import { mergeSecrets, type MergeInput } from '../../../src/serverless/merge.js';

const secrets = new Map([
  ['API_KEY', 'secret-api'],
  ['DB_PASSWORD', 'secret-db'],
]);

function input(
  functions: MergeInput['functions'],
  providerEnvironment?: MergeInput['providerEnvironment'],
): MergeInput {
  return { stage: 'dev', providerEnvironment, functions, secrets };
}

describe('mergeSecrets without secrets lists', () => {
  it('puts every secret into provider.environment over its yaml value', () => {
    const result = mergeSecrets(input({ api: {} }, { API_KEY: 'yaml', PLAIN: 'p', TOPIC: { Ref: 'T' } }));
    expect(result.mode).toBe('provider');
    expect(result.providerEnvironment).toEqual({
      API_KEY: 'secret-api',
      PLAIN: 'p',
      TOPIC: { Ref: 'T' },
      DB_PASSWORD: 'secret-db',
    });
    expect(result.functionEnvironments.api).toBeUndefined();
  });

  it('replaces same-named function values and leaves the others', () => {
    const result = mergeSecrets(input({ api: { environment: { DB_PASSWORD: 'fn-yaml', ONLY: 'o' } } }));
    expect(result.functionEnvironments.api).toEqual({ DB_PASSWORD: 'secret-db', ONLY: 'o' });
    expect(result.received.api).toEqual(['API_KEY', 'DB_PASSWORD']);
  });

  it('does not change its inputs', () => {
    const provider = { API_KEY: 'yaml' };
    const fnEnv = { DB_PASSWORD: 'fn-yaml' };
    mergeSecrets(input({ api: { environment: fnEnv } }, provider));
    expect(provider).toEqual({ API_KEY: 'yaml' });
    expect(fnEnv).toEqual({ DB_PASSWORD: 'fn-yaml' });
  });

  it('with no secrets leaves provider.environment as it was', () => {
    const provider = { A: 'a' };
    const result = mergeSecrets({
      stage: 'dev',
      providerEnvironment: provider,
      functions: { api: {} },
      secrets: new Map(),
    });
    expect(result.providerEnvironment).toBe(provider);
  });
});

describe('mergeSecrets with a secrets list', () => {
  const result = mergeSecrets(
    input(
      {
        all: { environment: { DB_PASSWORD: 'fn-yaml' } },
        apiOnly: { secrets: ['API_KEY'], environment: { DB_PASSWORD: 'kept-yaml' } },
        none: { secrets: [] },
      },
      { API_KEY: 'provider-yaml' },
    ),
  );

  it('sets secrets function by function and keeps provider.environment as written', () => {
    expect(result.mode).toBe('per-function');
    expect(result.providerEnvironment).toEqual({ API_KEY: 'provider-yaml' });
  });

  it('gives functions without a list every secret, over their yaml', () => {
    expect(result.functionEnvironments.all).toEqual({ DB_PASSWORD: 'secret-db', API_KEY: 'secret-api' });
  });

  it('gives a listed function only its secrets; unlisted names keep the yaml value', () => {
    expect(result.functionEnvironments.apiOnly).toEqual({ DB_PASSWORD: 'kept-yaml', API_KEY: 'secret-api' });
    expect(result.functionEnvironments.none).toBeUndefined();
    expect(result.received).toEqual({ all: ['API_KEY', 'DB_PASSWORD'], apiOnly: ['API_KEY'], none: [] });
  });

  it('refuses a name the stage does not have, naming function, name and the stage secrets', () => {
    expect(() =>
      mergeSecrets(input({ api: { secrets: ['API_KEY', 'API_KYE'] }, worker: { secrets: ['NOPE'] } })),
    ).toThrow(
      /stage dev has no secret named as listed.*function api lists API_KYE; function worker lists NOPE.*stage-secrets set --stage dev NAME.*Secrets of stage dev: API_KEY, DB_PASSWORD/,
    );
  });
});

describe('mergeSecrets with a service-level list (custom.stageSecrets.secrets)', () => {
  const three = new Map([...secrets, ['OTHER_APP_KEY', 'secret-other']]);
  const narrowed = (
    functions: MergeInput['functions'],
    serviceSecrets: string[],
    providerEnvironment?: MergeInput['providerEnvironment'],
  ) => mergeSecrets({ stage: 'dev', providerEnvironment, functions, secrets: three, serviceSecrets });

  it('gives the service only the listed secrets; other names keep their yaml values', () => {
    const result = narrowed({ api: { environment: { OTHER_APP_KEY: 'fn-yaml' } } }, ['API_KEY'], {
      DB_PASSWORD: 'yaml',
    });
    expect(result.mode).toBe('provider');
    expect(result.providerEnvironment).toEqual({ DB_PASSWORD: 'yaml', API_KEY: 'secret-api' });
    expect(result.functionEnvironments.api).toEqual({ OTHER_APP_KEY: 'fn-yaml' });
    expect(result.received.api).toEqual(['API_KEY']);
  });

  it('a function list narrows further, within the service list', () => {
    const result = narrowed({ api: { secrets: ['DB_PASSWORD'] }, worker: {} }, ['API_KEY', 'DB_PASSWORD']);
    expect(result.received).toEqual({ api: ['DB_PASSWORD'], worker: ['API_KEY', 'DB_PASSWORD'] });
    expect(result.functionEnvironments.worker).toEqual({ API_KEY: 'secret-api', DB_PASSWORD: 'secret-db' });
  });

  it('refuses a function list that reaches outside the service list', () => {
    expect(() => narrowed({ api: { secrets: ['API_KEY', 'OTHER_APP_KEY'] } }, ['API_KEY'])).toThrow(
      "custom.stageSecrets.secrets limits this service to API_KEY, but function api lists OTHER_APP_KEY. A function's secrets list can only narrow the service's",
    );
  });

  it('refuses a service list name the stage does not have', () => {
    expect(() => narrowed({ api: {} }, ['API_KEY', 'NOPE'])).toThrow(
      expect.objectContaining({
        code: 'NOT_FOUND',
        message: expect.stringContaining('custom.stageSecrets.secrets lists NOPE'),
      }),
    );
  });
});

describe('mergeSecrets: which yaml variables secrets replaced (names only)', () => {
  it('provider and function values that a secret replaced; names that only secrets set are not listed', () => {
    const result = mergeSecrets(
      input({ api: { environment: { DB_PASSWORD: 'fn', OWN: 'o' } }, worker: {} }, { API_KEY: 'yaml', PLAIN: 'p' }),
    );
    expect(result.replaced).toEqual({ provider: ['API_KEY'], functions: { api: ['DB_PASSWORD'] } });
  });

  it('per function: a provider value counts as replaced when some function receives the name', () => {
    const result = mergeSecrets(
      input({ api: { secrets: ['API_KEY'] }, none: { secrets: [] } }, { API_KEY: 'yaml', DB_PASSWORD: 'yaml' }),
    );
    expect(result.replaced).toEqual({ provider: ['API_KEY'], functions: {} });
  });
});
