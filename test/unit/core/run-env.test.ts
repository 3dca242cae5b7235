import { describe, expect, it } from 'vitest';
import {
  runEnvMac,
  runEnvMacMatches,
  statedRunEnv,
  unverifiedRunEnvError,
  type RunEnvClaim,
} from '../../../src/core/run-env.js';

const TOKEN = Buffer.alloc(32, 1);
const proof = {
  STAGE_SECRETS_FILE: '/repo/secrets/prod.json',
  STAGE_SECRETS_RUN_TOKEN: '/tmp/stage-secrets-run-a/token',
  STAGE_SECRETS_RUN_MAC: 'mac',
};

describe('statedRunEnv', () => {
  const runnerEnv = {
    STAGE_SECRETS_STAGE: 'prod',
    STAGE_SECRETS_KEYS: 'DB_URL,PORT',
    DB_URL: 'postgres://db',
    PORT: '5432',
    OTHER: 'x',
    ...proof,
  };

  it('returns exactly the listed names, the stage file and the proof when the env states a run for the stage', () => {
    expect(statedRunEnv('prod', runnerEnv)).toEqual({
      claim: {
        stageFile: '/repo/secrets/prod.json',
        stage: 'prod',
        values: new Map([
          ['DB_URL', 'postgres://db'],
          ['PORT', '5432'],
        ]),
      },
      tokenFile: '/tmp/stage-secrets-run-a/token',
      mac: 'mac',
    });
  });

  it('returns undefined for another stage, or without a runner env', () => {
    expect(statedRunEnv('dev', runnerEnv)).toBeUndefined();
    expect(statedRunEnv('prod', { DB_URL: 'postgres://db' })).toBeUndefined();
    expect(statedRunEnv('prod', { STAGE_SECRETS_KEYS: 'DB_URL', DB_URL: 'x' })).toBeUndefined();
  });

  it('treats an empty key list as a stage without secrets', () => {
    expect(statedRunEnv('prod', { STAGE_SECRETS_STAGE: 'prod', STAGE_SECRETS_KEYS: '', ...proof })).toMatchObject({
      claim: { values: new Map() },
    });
  });

  it('names what is wrong with an incomplete or hand-set run env, never a value', () => {
    const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
      [{ ...runnerEnv, STAGE_SECRETS_KEYS: 'DB_URL,API_KEY' }, /lists API_KEY, but the environment has no API_KEY/],
      [{ ...runnerEnv, STAGE_SECRETS_KEYS: 'PATH', PATH: '/usr/bin' }, /PATH/],
      [{ ...runnerEnv, STAGE_SECRETS_FILE: undefined }, /STAGE_SECRETS_FILE, the stage file run opened, is not set/],
      [{ ...runnerEnv, STAGE_SECRETS_FILE: 'secrets/prod.json' }, /STAGE_SECRETS_FILE is not an absolute path/],
      [
        { ...runnerEnv, STAGE_SECRETS_RUN_TOKEN: undefined },
        /STAGE_SECRETS_RUN_TOKEN, the proof that stage-secrets run set these, is not set/,
      ],
      [{ ...runnerEnv, STAGE_SECRETS_RUN_MAC: '' }, /STAGE_SECRETS_RUN_MAC, the proof/],
    ];
    for (const [env, problem] of cases) {
      const stated = statedRunEnv('prod', env);
      expect(stated && 'problem' in stated ? stated.problem : undefined).toMatch(problem);
      expect(JSON.stringify(stated)).not.toContain('postgres://db');
    }
  });
});

describe('runEnvMac', () => {
  const claim: RunEnvClaim = {
    stageFile: '/repo/secrets/prod.json',
    stage: 'prod',
    values: new Map([
      ['A', 'one'],
      ['B', 'two'],
    ]),
  };

  it('matches only under the same token, for the same stage file, stage, names and values', () => {
    const mac = runEnvMac(TOKEN, claim);
    expect(runEnvMacMatches(TOKEN, claim, mac)).toBe(true);
    expect(
      runEnvMacMatches(
        TOKEN,
        {
          ...claim,
          values: new Map([
            ['B', 'two'],
            ['A', 'one'],
          ]),
        },
        mac,
      ),
    ).toBe(true);
    expect(runEnvMacMatches(Buffer.alloc(32, 2), claim, mac)).toBe(false);
    for (const changed of [
      { ...claim, stageFile: '/other/secrets/prod.json' },
      { ...claim, stage: 'dev' },
      { ...claim, values: new Map([['A', 'one']]) },
      {
        ...claim,
        values: new Map([
          ['A', 'one'],
          ['B', 'two'],
          ['C', 'three'],
        ]),
      },
      {
        ...claim,
        values: new Map([
          ['A', 'one'],
          ['B', 'tw0'],
        ]),
      },
      {
        ...claim,
        values: new Map([
          ['A', 'one'],
          ['C', 'two'],
        ]),
      },
    ]) {
      expect(runEnvMacMatches(TOKEN, changed, mac)).toBe(false);
    }
    expect(runEnvMacMatches(TOKEN, claim, mac.slice(1))).toBe(false);
  });
});

describe('unverifiedRunEnvError', () => {
  it('names the problem, the failure to open the stage here and both fixes', () => {
    const err = unverifiedRunEnvError(
      'prod',
      'STAGE_SECRETS_RUN_MAC, the proof that stage-secrets run set these, is not set',
      'no key here',
    );
    expect(err.code).toBe('RUN_ENV_UNVERIFIED');
    expect(err.message).toContain('nothing from the environment was used.');
    expect(err.message).toMatch(
      /so it opens the stage file itself\. Opening the stage file here failed too: no key here$/,
    );
    expect(err.message).toContain('npx --no-install stage-secrets run --stage prod -- <command>');
    expect(err.message).toContain('give this process the stage key');
  });
});
