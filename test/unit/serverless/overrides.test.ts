import { describe, expect, it } from 'vitest';
import { replacedVariables, staleReads, staleReadWarning } from '../../../src/serverless/overrides.js';

/** Modelled on serverless/examples aws-node-rest-api-with-dynamodb: the table name is read in three places. */
const YML = `service: todos
# a comment naming \${self:provider.environment.DYNAMODB_TABLE} reads nothing
provider:
  name: aws
  environment:
    DYNAMODB_TABLE: \${self:service}-\${sls:stage}
    LOG_LEVEL: info
  iam:
    role:
      statements:
        - Resource: "arn:aws:dynamodb:\${aws:region}:*:table/\${self:provider.environment.DYNAMODB_TABLE}"
functions:
  create:
    handler: todos/create.create
    environment:
      MODE: fast
      COPY: \${self:functions.create.environment.MODE}
resources:
  Resources:
    TodosDynamoDbTable:
      Properties:
        TableName: \${ self:provider.environment.DYNAMODB_TABLE }
        Other: \${self:provider.environment.LOG_LEVEL}
`;

describe('staleReads', () => {
  it('finds each ${self:...environment.X} read of a replaced variable, with its lines', () => {
    const replaced = { provider: ['DYNAMODB_TABLE'], functions: { create: ['MODE'] } };
    expect(staleReads(YML, replaced)).toEqual([
      { variable: 'functions.create.environment.MODE', lines: [17] },
      { variable: 'provider.environment.DYNAMODB_TABLE', lines: [11, 22] },
    ]);
  });

  it('finds nothing when the read variables were not replaced', () => {
    expect(staleReads(YML, { provider: ['API_KEY'], functions: {} })).toEqual([]);
  });

  it('warns with names and lines, never a value', () => {
    const warning = staleReadWarning('serverless.yml', {
      variable: 'provider.environment.DYNAMODB_TABLE',
      lines: [10, 21],
    });
    expect(warning).toBe(
      'serverless.yml reads provider.environment.DYNAMODB_TABLE through ${self:provider.environment.DYNAMODB_TABLE} (lines 10, 21), but a secret replaces it: ' +
        'those places keep the value written in serverless.yml, while the functions get the secret. ' +
        'Use ${secret:DYNAMODB_TABLE} there if they should see the secret, or remove DYNAMODB_TABLE from the stage (or from this service with custom.stageSecrets.secrets).',
    );
  });

  it('lists replaced variables as config paths', () => {
    expect(replacedVariables({ provider: ['A'], functions: { api: ['B', 'C'] } })).toEqual([
      'provider.environment.A',
      'functions.api.environment.B',
      'functions.api.environment.C',
    ]);
  });
});
