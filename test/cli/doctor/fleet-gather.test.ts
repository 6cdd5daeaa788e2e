/**
 * The doctor's fleet facts, with the AWS SDK faked at the `send` boundary: the template from the stack's fleet
 * output, the claim certificate from the claim secret's tag (never its value), the hook permission from the stack's
 * template.
 */
import { CloudFormationClient, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { DescribeCertificateCommand, DescribeProvisioningTemplateCommand, IoTClient } from '@aws-sdk/client-iot';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClients } from '../../../cli/aws/clients';
import type { Read } from '../../../cli/doctor/facts';
import { gatherFleets } from '../../../cli/doctor/fleet';
import { CERTIFICATE_ID_TAG, FLEET_OUTPUT_IDS, FLEET_TEMPLATE_OUTPUT_DESCRIPTION } from '../../../src/contract';

const cfn = mockClient(CloudFormationClient);
const iot = mockClient(IoTClient);
const sm = mockClient(SecretsManagerClient);
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:claim-AbC';
const HOOK = 'arn:aws:lambda:eu-west-1:123456789012:function:hook';
const OUTPUTS = [
  { OutputKey: `PipelineLathes${FLEET_OUTPUT_IDS.templateName}A1B2C3D4`, OutputValue: 'lathes', Description: FLEET_TEMPLATE_OUTPUT_DESCRIPTION },
  { OutputKey: `PipelineLathes${FLEET_OUTPUT_IDS.claimCertificateSecretArn}E5F6A7B8`, OutputValue: SECRET },
];
const read = async <T>(what: string, fn: () => Promise<T>): Promise<Read<T>> => {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    return { ok: false, notFound: false, error: `${what}: ${(e as Error).message}` };
  }
};

beforeEach(() => {
  for (const m of [cfn, iot, sm]) m.reset();
  iot.on(DescribeProvisioningTemplateCommand, { templateName: 'lathes' }).resolves({ enabled: true, preProvisioningHook: { targetArn: HOOK } });
  sm.on(DescribeSecretCommand, { SecretId: SECRET }).resolves({ Tags: [{ Key: CERTIFICATE_ID_TAG, Value: 'abc123' }] });
  sm.on(GetSecretValueCommand).rejects(new Error('the doctor must not read the claim key'));
  iot.on(DescribeCertificateCommand, { certificateId: 'abc123' }).resolves({ certificateDescription: { status: 'INACTIVE' } });
});

test('GIVEN a stack with a fleet WHEN the doctor gathers THEN it reads the template, the claim certificate by its tag and the hook permission', async () => {
  cfn.on(GetTemplateCommand).resolves({
    TemplateBody: JSON.stringify({ Resources: { P: { Type: 'AWS::Lambda::Permission', Properties: { Principal: 'iot.amazonaws.com', Action: 'lambda:InvokeFunction', FunctionName: HOOK } } } }),
  });
  const fleets = await gatherFleets(new AwsClients({ region: 'eu-west-1' }), 'S', OUTPUTS, read);
  expect(fleets).toEqual([{
    templateName: 'lathes',
    template: { ok: true, value: { enabled: true, hookArn: HOOK } },
    claimCertificate: { ok: true, value: { id: 'abc123', status: 'INACTIVE' } },
    hookPermitted: { ok: true, value: true },
  }]);
  expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
});

test('GIVEN no permission for iot.amazonaws.com in the stack WHEN gathered THEN the hook is not permitted; no fleet output: no call at all', async () => {
  cfn.on(GetTemplateCommand).resolves({ TemplateBody: JSON.stringify({ Resources: { P: { Type: 'AWS::Lambda::Permission', Properties: { Principal: 's3.amazonaws.com', Action: 'lambda:InvokeFunction' } } } }) });
  const [fleet] = await gatherFleets(new AwsClients({ region: 'eu-west-1' }), 'S', OUTPUTS, read);
  expect(fleet.hookPermitted).toEqual({ ok: true, value: false });
  iot.reset();
  cfn.reset();
  expect(await gatherFleets(new AwsClients({ region: 'eu-west-1' }), 'S', [{ OutputKey: 'X', OutputValue: 'y' }], read)).toEqual([]);
  expect(iot.calls()).toHaveLength(0);
  expect(cfn.calls()).toHaveLength(0);
});
