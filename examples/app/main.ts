// Example app: consumes the library by its package name, as a user would (resolved through the
// package's "exports" from the built lib/). Synthesizes offline: `npx projen synth:example`.
import { App, Aspects, Duration, Size, Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IotCoreFirehosePipeline, ParsedFormat, Parser } from 'cdk-iot-core-firehose-pipeline';

const app = new App();
const stack = new Stack(app, 'IotTelemetryExample', {
  description: 'IoT Core → Firehose → S3 telemetry pipeline (cdk-iot-core-firehose-pipeline example)',
});

// The write-up's pipeline: devices publish to iot-test-topic/<device>; raw and parsed data land in S3.
new IotCoreFirehosePipeline(stack, 'Pipeline', {
  topic: 'iot-test-topic',
  buffering: { interval: Duration.seconds(60), size: Size.mebibytes(1) },
  parser: Parser.reference({ format: ParsedFormat.jsonLines({ topicSegmentFields: ['device'] }) }),
});

// Every finding must be fixed or carry a scoped, reasoned suppression: errors fail the synth.
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
