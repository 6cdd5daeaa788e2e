import { explainAwsError } from '../../../cli/aws/errors';
import { CliError, UsageError } from '../../../cli/errors';

describe('explainAwsError', () => {
  test.each([
    ['no region', new Error('Region is missing'), UsageError, 'Pass --region'],
    ['no credentials', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), CliError, 'no AWS credentials'],
    ['access denied', Object.assign(new Error('User is not authorized to perform: iot:GetPolicy'), { name: 'AccessDeniedException' }), CliError, 'access denied'],
    ['connection refused', new Error('connect ECONNREFUSED 127.0.0.1:1'), CliError, 'cannot reach the AWS endpoint'],
  ])('GIVEN %s THEN the error says what to do', (_label, error, type, message) => {
    // WHEN
    const explained = explainAwsError(error, 'Reading X');
    // THEN
    expect(explained).toBeInstanceOf(type);
    expect(explained.message).toContain(message);
    expect(explained.message).toMatch(/^Reading X: /);
  });

  test('GIVEN another error THEN it passes through', () => {
    const e = new Error('boom');
    expect(explainAwsError(e, 'x')).toBe(e);
  });
});
