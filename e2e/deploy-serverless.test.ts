/**
 * serverless v3 deploys fixtures/sls-deploy in env mode to moto through serverless-localstack:
 * e2e/support/deploy-suite.ts, with `deploy function -f` and `remove`, and what only env mode has: the
 * Action's status input while functions are stale, and the opt-out of seed.yml.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { DEPLOY_DIGEST_ENV } from '../src/core/deploy-digest.js';
import { REPO_ROOT } from '../test/support/cli.js';
import { runAction } from '../test/support/github-runner.js';
import { expectNoValues } from '../test/support/plugin-package-suite.js';
import { FRAMEWORKS } from '../test/support/sls-service.js';
import { status } from './support/deploy.js';
import { DEPLOY_TIMEOUT, describeDeploy } from './support/deploy-suite.js';

describeDeploy({
  fw: FRAMEWORKS.find((f) => f.name === 'serverless')!,
  mode: 'env',
  stage: 'dev',
  deployFunction: true,
  remove: true,
  more: {
    whileStale(ctx) {
      it("the Action's status input writes the table to the step summary; stale does not fail the step", async () => {
        const run = await runAction(path.join(REPO_ROOT, 'action', 'index.mjs'), {
          cwd: ctx.svc.dir,
          env: { ...ctx.svc.env, ...ctx.moto.env },
          inputs: { stage: ctx.svc.stage, status: 'true', export: 'none' },
        });
        expect(run.code, run.stdout + run.stderr).toBe(0);
        expect(run.summary).toContain('### stage-secrets status: stage dev');
        expect(run.summary).toContain('| deploy\\-svc | full | **stale** | 2 |');
        expect(run.summary).toContain('| deploy\\-svc | auto | current | 1 |');
        // the values reach stdout only as the runner's masking commands
        const printed = run.stdout
          .split('\n')
          .filter((line) => !line.startsWith('::add-mask::'))
          .join('\n');
        expectNoValues(run.summary + printed, ctx.secrets);
      });
    },
    afterUpdate(ctx) {
      it(
        'sls_set_secret_envs: false in seed.yml: a deploy leaves no secret in any function, only the yaml',
        async () => {
          fs.writeFileSync(path.join(ctx.svc.dir, 'seed.yml'), 'sls_set_secret_envs: false\n');
          try {
            ctx.times.optOutUpdate = await ctx.sls(['deploy']);
            const record = { [DEPLOY_DIGEST_ENV]: 'off' };
            expect(await ctx.aws.variables(ctx.fn('full'))).toEqual({
              API_KEY: 'from-provider-yaml',
              PLAIN: 'plain-provider-value',
              DB_PASSWORD: 'from-function-yaml',
              ...record,
            });
            for (const name of ['apiOnly', 'auto']) {
              expect(await ctx.aws.variables(ctx.fn(name))).toEqual({
                API_KEY: 'from-provider-yaml',
                PLAIN: 'plain-provider-value',
                ...record,
              });
            }
            expectNoValues(await ctx.aws.template(ctx.stack), ctx.secrets);
            const s = await status(ctx.svc, ctx.moto);
            expect(s.code).toBe(0);
            expect(s.rows.full).toMatchObject({ state: 'current', note: expect.stringMatching(/opted out/) });
          } finally {
            fs.rmSync(path.join(ctx.svc.dir, 'seed.yml'));
          }
        },
        DEPLOY_TIMEOUT,
      );
    },
  },
});
