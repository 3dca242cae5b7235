import { StageSecretsError } from '../../core/errors.js';
import { assertStageName } from '../../core/names.js';
import { appDeployStatus } from '../../contract/deployed.js';
import { awsDeployReader } from '../../aws/deployments.js';
import { renderStatus, STATUS_FORMATS, type StatusFormat } from '../../contract/deployed-render.js';
import { defineCommand, STAGE_OPTIONS } from '../command.js';

export const command = defineCommand({
  name: 'status',
  summary: 'which deployed functions lag the stage (needs no key; AWS read access)',
  usage: 'stage-secrets status --stage S [--format text|markdown|json] [--dir DIR] [--region R]',
  description: `Shows, without any key, which deployed functions lag the stage: for each service of the app (every
serverless config below the repository root whose secrets folder is this one) and each of its
functions deployed to stage S:
  current       it holds the secrets the stage has now
  stale         it was deployed before the latest change to a name it gets (set, rm, import, rotate)
  not deployed  its stack or function is not in AWS
  unknown       it was deployed without the stage-secrets plugin (no STAGE_SECRETS_DIGEST)
The plugin records on each function a digest of the sealed entries it received (STAGE_SECRETS_DIGEST,
never a value); status recomputes it from the stage folder. Works for env and runtime mode. No value is
read from the stage folder or printed.
AWS permissions (read only): cloudformation:DescribeStackResources on the stack SERVICE-STAGE (or
provider.stackName) and lambda:GetFunctionConfiguration on its functions. The region is --region, else
the config's provider.region, else AWS_REGION; credentials and endpoints are the usual AWS settings.`,
  options: {
    stage: { ...STAGE_OPTIONS.stage, help: 'the deployed stage (required); its own stage file is compared' },
    format: {
      type: 'string',
      value: 'F',
      help: `text (default), markdown (fits a GitHub step summary: >> "$GITHUB_STEP_SUMMARY"),
or json`,
      complete: STATUS_FORMATS,
    },
    dir: STAGE_OPTIONS.dir,
    region: {
      type: 'string',
      value: 'R',
      help: "AWS region of every service (default: each config's provider.region)",
    },
  },
  footer: 'Exit codes: 0 nothing is stale; 1 a function is stale (or bad usage); 3 AWS refused a read.',
  async run({ values }, io) {
    if (!values.stage) {
      throw new StageSecretsError('USAGE', '--stage is required. See: npx --no-install stage-secrets status --help');
    }
    assertStageName(values.stage);
    const format = (values.format ?? 'text') as StatusFormat;
    if (!STATUS_FORMATS.includes(format)) {
      throw new StageSecretsError(
        'USAGE',
        `--format must be one of ${STATUS_FORMATS.join(', ')}. See: npx --no-install stage-secrets status --help`,
      );
    }
    if (values.dir === '') throw new StageSecretsError('USAGE', '--dir needs a folder path.');
    if (values.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(values.region)) {
      throw new StageSecretsError(
        'USAGE',
        `--region ${JSON.stringify(values.region)} is not an AWS region name (e.g. eu-west-1).`,
      );
    }
    const report = await appDeployStatus({
      stage: values.stage,
      dir: values.dir,
      cwd: io.cwd,
      env: io.env,
      region: values.region,
      reader: awsDeployReader(),
    });
    io.stdout.write(renderStatus(report, format));
    return report.ok ? 0 : 1;
  },
});
