/**
 * A cloud assembly with a fleet, for the runner's fleet provisioning tests, synthesized in this process from
 * ../../src: the example pipeline (reference parser, `device` from the topic's second segment) plus, under
 * `<pipeline>/Lathes`, what `pipeline.addFleetProvisioning('Lathes', …)` creates (construct ids and names from
 * src/contract/fleet.ts), written here with L1 resources: the enabled FLEET_PROVISIONING template (thing
 * `lathe-<SerialNumber>`, attribute Model, certificate ACTIVE, the fleet device policy), its provisioning role, the
 * claim policy (connect with any client id; publish, receive and subscribe on this template's fleet provisioning
 * topics only) and a pre-provisioning hook that refuses serial numbers starting with `BAD`.
 */
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { IotCoreFirehosePipeline, ParsedFormat, Parser } from '../../src';
import {
  CERTIFICATE_ID_REF, claimPolicyTopics, claimSubscribeFilters, FLEET_CONSTRUCT_IDS, FLEET_TEMPLATE_RESOURCES,
  PRE_PROVISIONING_HOOK_PAYLOAD_VERSION, SERIAL_NUMBER_PARAMETER,
} from '../../src/contract';
import { devicePolicyDocument, iotArn } from '../../src/private/iot-policy';

export const FLEET_STACK = 'FleetFixture';
export const FLEET_TOPIC = 'iot-test-topic';
export const FLEET_TEMPLATE = 'lathes';
export const FLEET_THING_PREFIX = 'lathe-';

const HOOK = `
exports.handler = async (event) => {
  const serial = String(event.parameters.SerialNumber || '');
  if (serial.startsWith('BAD')) return { allowProvisioning: false };
  return { allowProvisioning: true, parameterOverrides: { Model: event.parameters.Model || 'checked-by-hook' } };
};
`;

/** Synthesizes the fleet fixture into `outdir`; returns the assembly directory. */
export function synthFleetFixture(outdir: string): string {
  const app = new App({ outdir });
  const stack = new Stack(app, FLEET_STACK);
  const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', {
    topic: FLEET_TOPIC,
    buffering: { interval: Duration.seconds(60), size: Size.mebibytes(1) },
    parser: Parser.reference({ format: ParsedFormat.jsonLines({ topicSegmentFields: ['device'] }) }),
  });
  const fleet = new Construct(pipeline, 'Lathes');
  const fleetPolicy = new iot.CfnPolicy(fleet, 'FleetPolicy', {
    policyDocument: devicePolicyDocument(fleet, { clientId: '${iot:Connection.Thing.ThingName}', publishTopic: FLEET_TOPIC, confineToSubTopic: true }),
  });
  new iot.CfnPolicy(fleet, FLEET_CONSTRUCT_IDS.claimPolicy, {
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iot:Connect', Resource: iotArn(fleet, 'client', '*') },
        { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: claimPolicyTopics(FLEET_TEMPLATE).map((t) => iotArn(fleet, 'topic', t)) },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: claimSubscribeFilters(FLEET_TEMPLATE).map((t) => iotArn(fleet, 'topicfilter', t)) },
      ],
    },
  });
  const role = new iam.Role(fleet, FLEET_CONSTRUCT_IDS.provisioningRole, { assumedBy: new iam.ServicePrincipal('iot.amazonaws.com') });
  const hook = new lambda.Function(fleet, 'Hook', {
    runtime: lambda.Runtime.NODEJS_20_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline(HOOK),
    timeout: Duration.seconds(5),
  });
  const body = {
    // The certificate id declared as a parameter, as in AWS's fleet template example and the construct's body.
    Parameters: { [SERIAL_NUMBER_PARAMETER]: { Type: 'String' }, Model: { Type: 'String', Default: 'unknown' }, [CERTIFICATE_ID_REF]: { Type: 'String' } },
    Resources: {
      [FLEET_TEMPLATE_RESOURCES.thing]: {
        Type: 'AWS::IoT::Thing',
        Properties: {
          ThingName: { 'Fn::Join': ['', [FLEET_THING_PREFIX, { Ref: SERIAL_NUMBER_PARAMETER }]] },
          AttributePayload: { Model: { Ref: 'Model' } },
        },
      },
      [FLEET_TEMPLATE_RESOURCES.certificate]: {
        Type: 'AWS::IoT::Certificate',
        Properties: { CertificateId: { Ref: CERTIFICATE_ID_REF }, Status: 'ACTIVE' },
      },
      [FLEET_TEMPLATE_RESOURCES.policy]: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: fleetPolicy.ref } },
    },
    DeviceConfiguration: { topic: FLEET_TOPIC },
  };
  new iot.CfnProvisioningTemplate(fleet, FLEET_CONSTRUCT_IDS.template, {
    templateName: FLEET_TEMPLATE,
    enabled: true,
    provisioningRoleArn: role.roleArn,
    templateBody: stack.toJsonString(body),
    preProvisioningHook: { targetArn: hook.functionArn, payloadVersion: PRE_PROVISIONING_HOOK_PAYLOAD_VERSION },
  });
  app.synth();
  return outdir;
}
