import { describe, expect, it } from 'vitest';
import { scanEnvironment } from '../../../src/action/contract-scan.js';

describe('scanEnvironment: what the Action passes to its contract-scan child', () => {
  it('keeps only an allow list: no stage key, token, AWS credential, NODE_OPTIONS or input of the step', () => {
    const env: NodeJS.ProcessEnv = {
      PATH: '/usr/bin',
      HOME: '/home/runner',
      LANG: 'C.UTF-8',
      STAGE_SECRETS_KEY_PROD: 'key',
      STAGE_SECRETS_AGE_KEY: 'AGE-SECRET-KEY-1X',
      GITHUB_TOKEN: 'ghs_x',
      ACTIONS_RUNTIME_TOKEN: 'rt',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc',
      AWS_ACCESS_KEY_ID: 'AKIA',
      AWS_SECRET_ACCESS_KEY: 's',
      AWS_SESSION_TOKEN: 't',
      AWS_PROFILE: 'p',
      NODE_OPTIONS: '--require ./evil.js',
      INPUT_STAGE: 'prod',
      NPM_TOKEN: 'npm_x',
      MY_DEPLOY_PASSWORD: 'pw',
    };
    expect(scanEnvironment(env)).toEqual({ PATH: '/usr/bin', HOME: '/home/runner', LANG: 'C.UTF-8' });
  });
});
