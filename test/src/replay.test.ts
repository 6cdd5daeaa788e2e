import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { nagFindings } from './template';
import { IotCoreFirehosePipeline, Parser, PipelineEncryption } from '../../src';
import { REPLAY_OUTPUT_IDS, REPLAY_WORKER_ENV } from '../../src/contract';

function replayStack(props: { encryption?: PipelineEncryption } = {}) {
  const stack = new Stack(new App(), 'ReplayStack');
  const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'plant/line-1', ...props });
  const replay = pipeline.addReplay('Replay');
  return { stack, pipeline, replay };
}

/** The state machine's definition, its intrinsic functions joined into text. */
function definition(template: Template): any {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as any[];
  const parts = machine.Properties.DefinitionString['Fn::Join'][1] as unknown[];
  return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : `"${JSON.stringify(p).replace(/"/g, '')}"`.slice(1, -1))).join(''));
}

describe('addReplay', () => {
  test('GIVEN a pipeline with a replay WHEN synthesized THEN a plan step, then a Distributed Map over an S3 listing per source, batching to the worker', () => {
    const { stack } = replayStack();
    const template = Template.fromStack(stack);
    const def = definition(template);
    expect(def.StartAt).toEqual('Plan');
    expect(def.States.Plan.Parameters).toEqual({ 'action': 'plan', 'input.$': '$$.Execution.Input' });
    const failed = def.States.ReplayProcessingFailed;
    expect(failed).toMatchObject({
      Type: 'Map',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' } },
      ItemReader: { Resource: expect.stringContaining(':states:::s3:listObjectsV2'), Parameters: { 'Prefix.$': '$.plan.listPrefix' } },
      ItemBatcher: { MaxItemsPerBatch: 10, BatchInput: { 'input.$': '$$.Execution.Input', 'executionName.$': '$$.Execution.Name' } },
      ItemSelector: { 'Key.$': '$$.Map.Item.Value.Key' },
      MaxConcurrency: 10,
      ResultPath: null,
    });
    expect(failed.ToleratedFailurePercentage ?? 0).toEqual(0);
    expect(def.States.ReplayRaw.ItemReader.Parameters['Prefix.$']).toEqual('$.plan.listPrefix');
    expect(def.States.Source.Choices.map((c: any) => [c.StringEquals, c.Next])).toEqual([
      ['processing-failed', 'ReplayProcessingFailed'], ['raw', 'ReplayRaw'],
    ]);
    // After either map, the worker sums the batches' counts into the execution's output.
    expect([failed.Next, def.States.ReplayRaw.Next]).toEqual(['Summarize', 'Summarize']);
    expect(def.States.Summarize).toMatchObject({
      Parameters: { 'action': 'summarize', 'executionName.$': '$$.Execution.Name' },
      ResultPath: '$.counts',
      End: true,
    });
    const outputs = Object.entries(template.findOutputs('*')).filter(([id]) => id.includes(REPLAY_OUTPUT_IDS.stateMachineArn));
    expect(outputs.map(([id, o]) => [id.startsWith('PipelineReplay'), (o as any).Value.Ref])).toEqual([[true, expect.stringMatching(/^PipelineReplayStateMachine/)]]);
  });

  test('GIVEN the worker WHEN synthesized THEN it knows the layout, reads only the source prefixes, writes only the targets, invokes only the parser', () => {
    const { stack } = replayStack();
    const template = Template.fromStack(stack);
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Replays') } })) as any[];
    const layout = JSON.stringify(fn.Properties.Environment.Variables[REPLAY_WORKER_ENV.layout]);
    expect(layout).toContain('errors/!{firehose:error-output-type}/');
    expect(layout).toContain('.gz');
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
    const worker = policies.find((p) => JSON.stringify(p.Properties.Roles).includes('ReplayWorker'));
    const statements = worker.Properties.PolicyDocument.Statement as any[];
    const text = (s: any) => JSON.stringify(s.Resource);
    const get = statements.find((s) => s.Action === 's3:GetObject');
    expect(text(get)).toContain('/errors/processing-failed/year=*');
    expect(text(get)).toContain('/raw/year=*');
    expect(text(get)).not.toContain('/parsed/');
    const put = statements.find((s) => s.Action === 's3:PutObject');
    expect(text(put)).toContain('/parsed/year=*');
    expect(text(put)).toContain('/backfill/*');
    expect(text(put)).toContain('/errors/replay-failed/year=*');
    expect(text(put)).not.toContain('/raw/');
    expect(statements.find((s) => s.Action === 'lambda:InvokeFunction').Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^PipelineParserFunction/), 'Arn'] });
    expect(statements.some((s) => ([] as string[]).concat(s.Action).includes('s3:DeleteObject'))).toBe(false);
    // The run folder of the batch counts: written, read back and listed there only.
    const runs = statements.find((s) => JSON.stringify(s.Action) === JSON.stringify(['s3:PutObject', 's3:GetObject']));
    expect(text(runs)).toContain('/errors/replay-runs/*');
    expect(text(runs)).not.toContain('year=');
    const list = statements.find((s) => s.Action === 's3:ListBucket');
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': 'errors/replay-runs/*' } });
    expect(list.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/ParsedBucket/), 'Arn'] });
  });

  test('GIVEN the state machine role WHEN synthesized THEN it may list the sources, invoke the worker and run its map', () => {
    const { stack } = replayStack();
    const template = Template.fromStack(stack);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
    const machine = policies.filter((p) => JSON.stringify(p.Properties.Roles).includes('ReplayStateMachine'));
    const actions = machine.flatMap((p) => (p.Properties.PolicyDocument.Statement as any[]).flatMap((s) => ([] as string[]).concat(s.Action)));
    expect(actions).toEqual(expect.arrayContaining(['s3:ListBucket', 'lambda:InvokeFunction', 'states:StartExecution']));
    expect(actions).not.toContain('s3:GetObject');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsFailed', Threshold: 1 });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }), TracingConfiguration: { Enabled: true } });
  });

  test('GIVEN a parser with reserved concurrency WHEN the replay defaults THEN MaxConcurrency is half of it', () => {
    const stack = new Stack(new App(), 'Reserved');
    const fn = new lambda.Function(stack, 'Own', {
      code: lambda.Code.fromInline('exports.handler = async () => ({ records: [] })'),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      reservedConcurrentExecutions: 6,
    });
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 't', parser: Parser.fromFunction(fn) });
    pipeline.addReplay('Replay', { toleratedFailurePercentage: 5, objectsPerBatch: 3 });
    const map = definition(Template.fromStack(stack)).States.ReplayProcessingFailed;
    expect([map.MaxConcurrency, map.ToleratedFailurePercentage, map.ItemBatcher.MaxItemsPerBatch]).toEqual([3, 5, 3]);
  });

  test.each([
    [{ maxConcurrency: 0 }, /maxConcurrency`: 0 is not a whole number in 1–10000/],
    [{ toleratedFailurePercentage: 101 }, /give 0–100/],
    [{ objectsPerBatch: 1.5 }, /objectsPerBatch/],
    [{ backfillPrefix: 'parsed/old/' }, /overlaps the live data or error prefix/],
    [{ backfillPrefix: 'backfill' }, /ending with "\/"/],
  ])('GIVEN %j WHEN added THEN it says what to change', (options, message) => {
    const stack = new Stack(new App(), 'Bad');
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 't' });
    expect(() => pipeline.addReplay('Replay', options)).toThrow(message);
  });

  test('GIVEN a default pipeline with a replay WHEN checked by cdk-nag THEN no unsuppressed findings', () => {
    expect(nagFindings(replayStack().stack)).toEqual([]);
  });

  test('GIVEN a customer-managed key WHEN checked by cdk-nag THEN no findings, and the worker uses the key through S3 only', () => {
    const { stack } = replayStack({ encryption: PipelineEncryption.customerManaged() });
    const template = Template.fromStack(stack);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
    const worker = policies.find((p) => JSON.stringify(p.Properties.Roles).includes('ReplayWorker'));
    const kms = (worker.Properties.PolicyDocument.Statement as any[]).filter((s) => JSON.stringify(s.Action).includes('kms:'));
    expect(kms.length).toBeGreaterThan(0);
    for (const s of kms) expect(s.Condition.StringEquals['kms:ViaService']).toBeDefined();
    expect(nagFindings(stack)).toEqual([]);
  });
});
