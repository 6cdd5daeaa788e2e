/**
 * A fixture cloud assembly for the local runner, synthesized with the library from ../../src:
 * - `Filtered`: reference parser, user SQL with WHERE, aliases and arithmetic.
 * - `Custom`: a Node.js parser from an asset that answers Ok / Dropped / ProcessingFailed, throws once on request,
 *   can omit a record (invalid response), and returns partition keys (dynamic partitioning).
 * - `Python`: a Python parser (runs through the python3 runtime shim).
 * - `Direct`: the reference parser in direct delivery (it writes its own objects with the AWS SDK).
 * - `Ingest`: Basic Ingest.
 * - `Broken`: an extra rule whose Firehose action names a stream that does not exist, with an S3 error action.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { App, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IotCoreFirehosePipeline, ParsedFormat, Parser, ParserDelivery } from '../../src';

export const FIXTURE_STACK = 'LocalRunnerFixture';
export const FIXTURE_REGION = 'eu-west-1';

export const THINGS = {
  filtered: 'fx-filtered-device',
  custom: 'fx-custom-device',
  python: 'fx-python-device',
  ingest: 'fx-ingest-device',
  broken: 'fx-broken-device',
  direct: 'fx-direct-device',
};

const NODE_PARSER = `
let thrown = false;
exports.handler = async (event) => {
  const records = [];
  for (const r of event.records) {
    let msg;
    try { msg = JSON.parse(Buffer.from(r.data, 'base64').toString('utf8')); } catch (e) {
      records.push({ recordId: r.recordId, result: 'ProcessingFailed', data: r.data });
      continue;
    }
    if (msg.throwOnce && !thrown) { thrown = true; throw new Error('transient failure (thrown once on purpose)'); }
    if (msg.omit) continue; // an invalid response: a record id is missing
    if (msg.fail) { records.push({ recordId: r.recordId, result: 'ProcessingFailed', data: r.data }); continue; }
    if (msg.drop) { records.push({ recordId: r.recordId, result: 'Dropped', data: '' }); continue; }
    const device = String(msg.topic).split('/')[1];
    const out = { ...msg, parsedBy: 'custom-node', flag: process.env.CUSTOM_FLAG, region: process.env.AWS_REGION };
    records.push({
      recordId: r.recordId, result: 'Ok',
      data: Buffer.from(JSON.stringify(out) + '\\n').toString('base64'),
      metadata: { partitionKeys: { device } },
    });
  }
  return { records };
};
`;

const PYTHON_PARSER = `import base64, json, os

def handler(event, context):
    print('python parser got', len(event['records']), 'records')
    out = []
    for r in event['records']:
        msg = json.loads(base64.b64decode(r['data']))
        msg['parsedBy'] = 'python'
        msg['function'] = os.environ.get('AWS_LAMBDA_FUNCTION_NAME')
        out.append({'recordId': r['recordId'], 'result': 'Ok',
                    'data': base64.b64encode((json.dumps(msg) + '\\n').encode()).decode()})
    return {'records': out}
`;

/** Synthesizes the fixture app into `outdir`; returns the assembly directory. */
export function synthFixture(outdir: string): string {
  const code = join(outdir, '..', 'fixture-code');
  mkdirSync(join(code, 'node'), { recursive: true });
  mkdirSync(join(code, 'python'), { recursive: true });
  writeFileSync(join(code, 'node', 'index.js'), NODE_PARSER);
  writeFileSync(join(code, 'python', 'index.py'), PYTHON_PARSER);

  const app = new App({ outdir });
  const stack = new Stack(app, FIXTURE_STACK, { env: { region: FIXTURE_REGION } });
  const common = { monitoring: { alarms: false }, removalPolicy: RemovalPolicy.DESTROY };

  new IotCoreFirehosePipeline(stack, 'Filtered', {
    ...common,
    topic: 'fx-filtered',
    thingName: THINGS.filtered,
    sql: 'SELECT topic() AS topic, topic(2) AS device, temp, temp * 2 AS doubled, meta.site AS site FROM \'fx-filtered/+\' WHERE temp > 10 AND NOT (status = \'ignore\')',
  });

  const nodeParser = new lambda.Function(stack, 'CustomParser', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(join(code, 'node')),
    timeout: Duration.seconds(20),
    environment: { CUSTOM_FLAG: 'from-template' },
  });
  new IotCoreFirehosePipeline(stack, 'Custom', {
    ...common,
    topic: 'fx-custom',
    thingName: THINGS.custom,
    dynamicPartitioning: true,
    buffering: { interval: Duration.seconds(60), size: Size.mebibytes(64) },
    parser: Parser.fromFunction(nodeParser, { retries: 2, partitionKeys: ['device'], fileExtension: '.jsonl' }),
  });

  const pythonParser = new lambda.Function(stack, 'PythonParser', {
    runtime: lambda.Runtime.PYTHON_3_12,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(join(code, 'python')),
    timeout: Duration.seconds(20),
  });
  new IotCoreFirehosePipeline(stack, 'Python', { ...common, topic: 'fx-python', thingName: THINGS.python, parser: Parser.fromFunction(pythonParser) });

  new IotCoreFirehosePipeline(stack, 'Direct', {
    ...common,
    topic: 'fx-direct',
    thingName: THINGS.direct,
    parser: Parser.reference({ delivery: ParserDelivery.direct({ prefix: 'direct/' }) }),
  });

  new IotCoreFirehosePipeline(stack, 'Ingest', { ...common, topic: 'fx-ingest', thingName: THINGS.ingest, basicIngest: true });

  new IotCoreFirehosePipeline(stack, 'Broken', { ...common, topic: 'fx-broken', thingName: THINGS.broken });
  const errors = new s3.Bucket(stack, 'RuleErrors', { removalPolicy: RemovalPolicy.DESTROY });
  new iot.CfnTopicRule(stack, 'BrokenRule', {
    topicRulePayload: {
      sql: 'SELECT *, clientid() AS client FROM \'fx-broken/#\'',
      awsIotSqlVersion: '2016-03-23',
      actions: [{ firehose: { deliveryStreamName: 'no-such-stream', roleArn: 'arn:aws:iam::123456789012:role/unused', separator: '\n' } }],
      errorAction: {
        s3: {
          bucketName: errors.bucketName,
          key: 'rule-errors/${topic(2)}/${parse_time("yyyy-MM-dd", timestamp(), "UTC")}/${newuuid()}.json',
          roleArn: 'arn:aws:iam::123456789012:role/unused',
        },
      },
    },
  });

  app.synth();
  return outdir;
}

/** The stack of `synthExampleStack`: named like the example app's first stack. */
export const EXAMPLE_STACK = 'IotTelemetryExample';

/**
 * The example app's first stack (examples/app/main.ts: the write-up's pipeline), synthesized in this process from
 * ../../src into `outdir` — no `cdk synth`, no child process — for the tests that only read an assembly.
 */
export function synthExampleStack(outdir: string): string {
  const app = new App({ outdir });
  const stack = new Stack(app, EXAMPLE_STACK);
  new IotCoreFirehosePipeline(stack, 'Pipeline', {
    topic: 'iot-test-topic',
    buffering: { interval: Duration.seconds(60), size: Size.mebibytes(1) },
    parser: Parser.reference({ format: ParsedFormat.jsonLines({ topicSegmentFields: ['device'] }) }),
  });
  app.synth();
  return outdir;
}
