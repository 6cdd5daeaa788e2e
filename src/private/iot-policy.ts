import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** `arn:<partition>:iot:<region>:<account>:<resource>/<name>` in the scope's stack. */
export function iotArn(scope: IConstruct, resource: string, name: string): string {
  return Stack.of(scope).formatArn({ service: 'iot', resource, resourceName: name });
}

/** What a device policy allows. */
export interface DevicePolicyOptions {
  /** The client id: a thing name, or the policy variable `${iot:Connection.Thing.ThingName}`. */
  readonly clientId: string;
  /** The topic prefix devices publish under (the base topic, or its Basic Ingest form). */
  readonly publishTopic: string;
  /** Confine the device to `<publishTopic>/<clientId>` and below. */
  readonly confineToSubTopic: boolean;
}

/**
 * The least-privilege device policy: Connect as the client id (only with a certificate attached to that thing),
 * Publish to the topic prefix and below, nothing else.
 */
export function devicePolicyDocument(scope: IConstruct, options: DevicePolicyOptions): object {
  const base = options.confineToSubTopic ? `${options.publishTopic}/${options.clientId}` : options.publishTopic;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ConnectAsTheThing',
        Effect: 'Allow',
        Action: 'iot:Connect',
        Resource: iotArn(scope, 'client', options.clientId),
        Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
      },
      {
        Sid: 'PublishTelemetry',
        Effect: 'Allow',
        Action: 'iot:Publish',
        Resource: [iotArn(scope, 'topic', base), iotArn(scope, 'topic', `${base}/*`)],
      },
    ],
  };
}
