/** The environment the local runner gives a function: Lambda's variables, and placeholder AWS credentials only. */
import { devNull } from 'os';
import type { FunctionModel } from '../../../local/assembly/model';
import { lambdaEnvironment, PLACEHOLDER_CREDENTIALS } from '../../../local/lambda/runtime';

const FN: FunctionModel = {
  arn: 'arn:aws:lambda:eu-west-1:000000000000:function:parser',
  name: 'parser',
  stack: 'S',
  logicalId: 'Parser',
  path: 'S/Parser',
  runtime: 'nodejs22.x',
  handler: 'index.handler',
  codeDir: '/tmp/code',
  environment: { PARSER_FORMAT: 'jsonl' },
  timeoutMs: 1000,
  memoryMb: 256,
  region: 'eu-west-1',
};

const CALLER = {
  AWS_ACCESS_KEY_ID: 'AKIAREALCALLERKEY123',
  AWS_SECRET_ACCESS_KEY: 'real-secret',
  AWS_SESSION_TOKEN: 'real-session',
  AWS_PROFILE: 'prod',
  AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
  AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token',
  AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/admin',
};

describe('lambdaEnvironment', () => {
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const [k, v] of Object.entries(CALLER)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test('GIVEN the caller has AWS credentials and a profile WHEN a function\'s environment is built THEN it holds placeholder credentials and none of the caller\'s', () => {
    // WHEN
    const env = lambdaEnvironment(FN, { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000' });
    // THEN
    expect(env).toMatchObject({
      ...PLACEHOLDER_CREDENTIALS,
      AWS_SHARED_CREDENTIALS_FILE: devNull,
      AWS_CONFIG_FILE: devNull,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000',
      PARSER_FORMAT: 'jsonl',
    });
    for (const key of Object.keys(CALLER).filter((k) => k !== 'AWS_ACCESS_KEY_ID' && k !== 'AWS_SECRET_ACCESS_KEY')) {
      expect(env[key]).toBeUndefined();
    }
    expect(JSON.stringify(env)).not.toMatch(/AKIAREALCALLERKEY123|real-secret|real-session|prod|169\.254|admin/);
  });

  test('GIVEN a template environment that names credentials WHEN built THEN the placeholders still win', () => {
    const env = lambdaEnvironment({ ...FN, environment: { AWS_ACCESS_KEY_ID: 'from-template', AWS_SECRET_ACCESS_KEY: 'from-template' } });
    expect(env.AWS_ACCESS_KEY_ID).toBe(PLACEHOLDER_CREDENTIALS.AWS_ACCESS_KEY_ID);
    expect(env.AWS_SECRET_ACCESS_KEY).toBe(PLACEHOLDER_CREDENTIALS.AWS_SECRET_ACCESS_KEY);
  });

  test('GIVEN the run\'s random credentials WHEN built THEN the function gets them, and neither the template nor the caller can replace them', () => {
    const run = { accessKeyId: 'LKIARUNKEY0000000001', secretAccessKey: 'run-secret' };
    const env = lambdaEnvironment({ ...FN, environment: { AWS_ACCESS_KEY_ID: 'from-template', AWS_SECRET_ACCESS_KEY: 'from-template' } }, {}, run);
    expect(env.AWS_ACCESS_KEY_ID).toBe('LKIARUNKEY0000000001');
    expect(env.AWS_SECRET_ACCESS_KEY).toBe('run-secret');
    expect(JSON.stringify(env)).not.toMatch(/AKIAREALCALLERKEY123|real-secret|from-template/);
  });
});
