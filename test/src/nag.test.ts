import { App, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { nagFindings } from './template';
import {
  DeviceCertificate, IotCoreFirehosePipeline, IotLogLevel, ParsedFormat, PartitionKey, Parser, ParserDelivery, PipelineEncryption,
} from '../../src';

/** A cdk-nag suppression as the template's metadata holds it. */
interface NagSuppression {
  readonly id: string;
  readonly reason: string;
  readonly applies_to?: unknown[];
}

/** The synthesized resources of a stack, with their type and cdk-nag metadata. */
function synthesizedResources(stack: Stack): Array<{ Type: string; Metadata?: { cdk_nag?: { rules_to_suppress?: NagSuppression[] } } }> {
  return Object.values(App.of(stack)!.synth().getStackByName(stack.stackName).template.Resources);
}

function nagSuppressions(stack: Stack): NagSuppression[] {
  return synthesizedResources(stack).flatMap((resource) => resource.Metadata?.cdk_nag?.rules_to_suppress ?? []);
}

describe('cdk-nag AwsSolutions', () => {
  test('GIVEN a default pipeline WHEN checked THEN there are no unsuppressed errors or warnings', () => {
    const stack = new Stack(new App(), 'DefaultStack');
    new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'iot-test-topic' });
    expect(nagFindings(stack)).toEqual([]);
  });

  test('GIVEN an all-options stack (two pipelines, every certificate mode, CSV, direct, own function and buckets) WHEN checked THEN there are no unsuppressed errors or warnings', () => {
    const stack = new Stack(new App(), 'AllOptionsStack');
    const ownFunction = new lambda.Function(stack, 'OwnParser', {
      code: lambda.Code.fromInline('exports.handler = async (e) => ({ records: e.records.map((r) => ({ recordId: r.recordId, result: "Ok", data: r.data })) })'),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_22_X,
    });
    const csr = '-----BEGIN CERTIFICATE REQUEST-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END CERTIFICATE REQUEST-----';
    new IotCoreFirehosePipeline(stack, 'Csv', {
      topic: 'plant/line-1',
      thingName: 'line-1-gateway',
      certificate: DeviceCertificate.fromCsr(csr),
      sql: "SELECT topic(3) as machine, * FROM 'plant/line-1/#' WHERE temperature > -40",
      buffering: { interval: Duration.seconds(300), size: Size.mebibytes(64) },
      compression: firehose.Compression.GZIP,
      dataOutputPrefix: 'line-1/!{timestamp:yyyy/MM/dd}/',
      errorOutputPrefix: 'line-1-errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
      backup: { enabled: true, prefix: 'line-1-raw/!{timestamp:yyyy/MM/dd}/', errorPrefix: 'line-1-raw-errors/!{firehose:error-output-type}/' },
      parser: Parser.reference({
        format: ParsedFormat.csv({ columns: ['machine', 'temperature'] }),
        delivery: ParserDelivery.direct({ prefix: 'direct/' }),
        bufferInterval: Duration.seconds(120),
        bufferSize: Size.mebibytes(3),
        retries: 5,
        memorySize: 1024,
        timeout: Duration.minutes(3),
      }),
      removalPolicy: RemovalPolicy.DESTROY,
      logRetention: logs.RetentionDays.ONE_WEEK,
    });
    new IotCoreFirehosePipeline(stack, 'Own', {
      topic: 'fleet',
      certificate: DeviceCertificate.fromCertificateArn(`arn:aws:iot:eu-west-1:123456789012:cert/${'b'.repeat(64)}`),
      parser: Parser.fromFunction(ownFunction, { retries: 0, fileExtension: '.json' }),
      backup: { enabled: false },
    });
    new IotCoreFirehosePipeline(stack, 'Generated', { topic: 'lab', certificate: DeviceCertificate.generated() });
    new IotCoreFirehosePipeline(stack, 'Bare', {
      topic: 'bare',
      certificate: DeviceCertificate.none(),
      parsedBucket: s3.Bucket.fromBucketName(stack, 'ParsedImported', 'existing-parsed'),
      rawBucket: s3.Bucket.fromBucketName(stack, 'RawImported', 'existing-raw'),
    });
    // The user's own function is the user's to harden; only the library's resources are under test.
    const own = nagFindings(stack).filter((finding) => !finding.includes('/OwnParser/'));
    expect(own).toEqual([]);
  });

  test('GIVEN every operations option (alarms with SNS, Basic Ingest, dynamic partitioning, CMK, more devices, IoT logging) WHEN checked THEN there are no unsuppressed errors or warnings', () => {
    const stack = new Stack(new App(), 'OperationsStack');
    const alerts = new sns.Topic(stack, 'Alerts', { enforceSSL: true, masterKey: new kms.Key(stack, 'AlertsKey', { enableKeyRotation: true }) });
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', {
      topic: 'fleet',
      basicIngest: true,
      dynamicPartitioning: true,
      parser: Parser.reference({ partitionKeys: [PartitionKey.topicLevel('device', 1)], delivery: ParserDelivery.direct() }),
      encryption: PipelineEncryption.customerManaged(),
      confineDevicesToSubTopic: true,
      iotLogging: IotLogLevel.ERROR,
      monitoring: { alarmAction: new actions.SnsAction(alerts) },
    });
    pipeline.addDevice('SensorA', { certificate: DeviceCertificate.generated() });
    pipeline.addDevice('SensorB', { certificate: DeviceCertificate.none() });
    expect(nagFindings(stack)).toEqual([]);
  });

  test('GIVEN the library\'s suppressions WHEN synthesized THEN each names a reason and IAM5 ones name the findings they cover', () => {
    const stack = new Stack(new App(), 'SuppressionStack');
    new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'iot-test-topic' });
    const suppressions = nagSuppressions(stack);
    expect(suppressions.length).toBeGreaterThan(0);
    for (const suppression of suppressions) {
      expect(suppression.reason.length).toBeGreaterThan(20);
      if (suppression.id === 'AwsSolutions-IAM5') {
        expect(suppression.applies_to?.length).toBeGreaterThan(0);
      }
    }
  });

  test('GIVEN every option WHEN synthesized THEN each suppression sits on a resource of the type its rule checks (none stamped on children)', () => {
    const stack = new Stack(new App(), 'PlacementStack');
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', {
      topic: 'fleet',
      encryption: PipelineEncryption.customerManaged(),
      parser: Parser.reference({ delivery: ParserDelivery.direct() }),
      removalPolicy: RemovalPolicy.DESTROY,
      iotLogging: IotLogLevel.ERROR,
    });
    pipeline.addDevice('Extra', { certificate: DeviceCertificate.generated() });
    const types: Record<string, string> = {
      'AwsSolutions-IAM5': 'AWS::IAM::Policy',
      'AwsSolutions-L1': 'AWS::Lambda::Function',
      'AwsSolutions-S1': 'AWS::S3::Bucket',
      'AwsSolutions-SMG4': 'AWS::SecretsManager::Secret',
    };
    const resources = synthesizedResources(stack);
    let count = 0;
    for (const resource of resources) {
      for (const rule of resource.Metadata?.cdk_nag?.rules_to_suppress ?? []) {
        count++;
        expect({ id: rule.id, type: resource.Type }).toEqual({ id: rule.id, type: types[rule.id] ?? '(no rule may be suppressed here)' });
      }
    }
    expect(count).toBeGreaterThan(5);
  });
});
