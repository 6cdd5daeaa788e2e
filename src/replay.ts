import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  compilePrefix, CompiledPrefix, DEFAULT_BACKFILL_ROOT, ERROR_OUTPUT_TYPES, REPLAY_FAILED_OUTPUT_TYPE, REPLAY_OUTPUT_IDS,
  REPLAY_STATE_MACHINE_OUTPUT_DESCRIPTION, REPLAY_WORKER_ENV, ReplayLayout, replayRunsPrefix,
} from './contract';
import type { IotCoreFirehosePipeline } from './pipeline';
import { addCheckovSkips } from './private/checkov';
import { BundledFunction, PIPELINE_LOG_GROUP_WITHOUT_KEY } from './private/functions';
import { grantKeyThroughS3 } from './private/key-grants';
import { addNagSuppressions } from './private/nag';
import { ReplayTarget } from './private/replay-target';
import { invalid } from './private/validation';

/**
 * Options of `pipeline.addReplay()`.
 */
export interface ReplayOptions {
  /**
   * How many batches of objects run at once (the Distributed Map's MaxConcurrency, 1–10,000). Each batch's worker
   * invokes the parser one event at a time, so this is also how many parser invocations the replay adds at most.
   * @default - half the parser's reserved concurrency when it has one (at least 1, leaving the rest to the live
   * stream), else 10
   */
  readonly maxConcurrency?: number;

  /**
   * The percentage of batches that may fail (after retries) before the execution fails (0–100).
   * @default 0
   */
  readonly toleratedFailurePercentage?: number;

  /**
   * How many S3 objects one worker invocation replays (the ItemBatcher's MaxItemsPerBatch, 1–1,000). A worker has
   * 15 minutes: keep `objectsPerBatch` × the time one object takes (read, parse, write) well below it.
   * @default 10
   */
  readonly objectsPerBatch?: number;

  /**
   * The only key prefix besides the live data prefix a replay may write `Ok` rows to: a raw backfill's
   * `outputPrefix` must start with it (the worker's role may write nowhere else).
   * @default "backfill/"
   */
  readonly backfillPrefix?: string;

  /**
   * The worker's memory (MiB, 128–10,240). An object is held in memory with its parsed rows.
   * @default 1024
   */
  readonly workerMemorySize?: number;
}

/** The default MaxConcurrency without a reserved concurrency on the parser. */
const DEFAULT_MAX_CONCURRENCY = 10;

/**
 * A pipeline's replay: a Step Functions state machine that re-runs records through the pipeline's current parser.
 *
 * Start an execution with `{"source": "processing-failed" | "raw", "from": "<ISO hour>", "to": "<ISO hour>",
 * "outputPrefix"?: "…"}` (`cdk-iot-pipeline replay --stack` does). The first state (the worker, `plan`) checks the
 * input and computes the key prefix to list; a Distributed Map lists the source objects (the parsed bucket's
 * processing-failed error prefix, or the raw backup) and hands them in batches to the worker, which invokes the
 * parser and writes `Ok` rows under the records' original hour and records that fail again under
 * `errors/replay-failed/`. Output keys derive from the source keys, so running a replay twice overwrites.
 */
export class PipelineReplay extends Construct {
  /** The state machine to start. */
  public readonly stateMachine: sfn.StateMachine;
  /** The worker function. */
  public readonly workerFunction: lambda.IFunction;
  /** The alarm on failed executions. */
  public readonly failedExecutionsAlarm: cloudwatch.IAlarm;

  constructor(pipeline: IotCoreFirehosePipeline, id: string, options: ReplayOptions = {}) {
    super(pipeline, id);
    const target = pipeline._replayTarget;
    if (target.convertsRecords) {
      invalid(this, 'addReplay', 'the pipeline converts records to Parquet, which the replay worker cannot write; replay works with JSON Lines or CSV output.');
    }
    const maxConcurrency = options.maxConcurrency ?? defaultConcurrency(target.parserFunction);
    integerIn(this, 'maxConcurrency', maxConcurrency, 1, 10_000);
    const tolerated = options.toleratedFailurePercentage ?? 0;
    if (!Number.isFinite(tolerated) || tolerated < 0 || tolerated > 100) {
      invalid(this, 'toleratedFailurePercentage', `${tolerated} is not a percentage; give 0–100.`);
    }
    const objectsPerBatch = options.objectsPerBatch ?? 10;
    integerIn(this, 'objectsPerBatch', objectsPerBatch, 1, 1000);
    const memorySize = options.workerMemorySize ?? 1024;
    integerIn(this, 'workerMemorySize', memorySize, 128, 10_240);
    const backfillRoot = options.backfillPrefix ?? DEFAULT_BACKFILL_ROOT;
    validateBackfillRoot(this, backfillRoot, target);

    const layout: ReplayLayout = {
      parsedBucket: target.parsedBucket.bucketName,
      rawBucket: target.backupPrefix !== undefined ? target.rawBucket.bucketName : undefined,
      dataOutputPrefix: target.dataOutputPrefix,
      errorOutputPrefix: target.errorOutputPrefix,
      backupPrefix: target.backupPrefix,
      dynamicPartitioning: target.dynamicPartitioning,
      extension: target.extension,
      errorExtension: target.errorExtension,
      backfillRoot,
      eventLimitBytes: target.eventLimitBytes,
    };
    const worker = new BundledFunction(this, 'Worker', {
      asset: 'replay-worker',
      description: 'Replays processing-failed records or raw backups through the pipeline\'s current parser',
      timeout: Duration.minutes(15),
      memorySize,
      environment: {
        [REPLAY_WORKER_ENV.layout]: Stack.of(this).toJsonString(layout),
        [REPLAY_WORKER_ENV.parserFunction]: target.parserFunction.functionArn,
        [REPLAY_WORKER_ENV.deliveryStreamArn]: target.deliveryStreamArn,
      },
      logRetention: target.logRetention,
      logGroupName: `${target.logGroupPrefix}replay-worker-${id}`,
      removalPolicy: target.removalPolicy,
      encryptionKey: target.encryptionKey,
    });
    this.workerFunction = worker.function;
    this.grantWorker(worker.role, target, backfillRoot);

    // The state machine.
    const plan = new tasks.LambdaInvoke(this, 'Plan', {
      lambdaFunction: worker.function,
      payload: sfn.TaskInput.fromObject({ action: 'plan', input: sfn.JsonPath.objectAt('$$.Execution.Input') }),
      payloadResponseOnly: true,
      resultPath: '$.plan',
      comment: 'Checks the input and computes the key prefix to list',
    });
    // The map discards its children's answers (256 KiB state limit): each batch writes its counts into the
    // execution's run folder, and this last state sums them into the execution's output (`$.counts`).
    const summarize = new tasks.LambdaInvoke(this, 'Summarize', {
      lambdaFunction: worker.function,
      // The execution's name (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html).
      payload: sfn.TaskInput.fromObject({ action: 'summarize', executionName: sfn.JsonPath.stringAt('$$.Execution.Name') }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
      resultPath: '$.counts',
      comment: 'Sums the counts the batches wrote into the execution\'s run folder',
    });
    const choice = new sfn.Choice(this, 'Source');
    const failedMap = this.replayMap('ReplayProcessingFailed', target.parsedBucket, worker.function, { maxConcurrency, tolerated, objectsPerBatch });
    // The source "processing-failed" is named after the error output type it reads.
    choice.when(sfn.Condition.stringEquals('$.plan.source', ERROR_OUTPUT_TYPES.processingFailed), failedMap.next(summarize));
    if (target.backupPrefix !== undefined) {
      const rawMap = this.replayMap('ReplayRaw', target.rawBucket, worker.function, { maxConcurrency, tolerated, objectsPerBatch });
      choice.when(sfn.Condition.stringEquals('$.plan.source', 'raw'), rawMap.next(summarize));
    }
    choice.otherwise(new sfn.Fail(this, 'UnknownSource', { error: 'Replay.UnknownSource', cause: 'The plan names a source this state machine does not list.' }));

    const logGroup = new logs.LogGroup(this, 'StateMachineLogGroup', {
      logGroupName: `${target.logGroupPrefix}replay-${id}`,
      retention: target.logRetention,
      removalPolicy: target.removalPolicy,
      encryptionKey: target.encryptionKey,
    });
    if (!target.encryptionKey) addCheckovSkips(logGroup, [PIPELINE_LOG_GROUP_WITHOUT_KEY]);
    // Step Functions' confused-deputy guidance: the role trusts states.amazonaws.com for this account's state machines
    // only (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html). The ARN pattern covers
    // the map run's child executions, which act for the same state machine.
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'StateMachineRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:states:${stack.region}:${stack.account}:*` },
        },
      }),
      description: 'The replay state machine: lists the source objects and invokes the replay worker',
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      role,
      definitionBody: sfn.DefinitionBody.fromChainable(plan.next(choice)),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment: 'Replays processing-failed records or raw backups through the pipeline\'s current parser',
    });
    addNagSuppressions(role.node.findChild('DefaultPolicy'), [{
      id: 'AwsSolutions-IAM5',
      reason: 'aws-cdk-lib\'s statements: log delivery and X-Ray accept only "*" (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html), and the worker is invoked by its ARN with its versions (<arn>:*).',
      appliesTo: ['Resource::*', { regex: '/^Resource::<.*ReplayWorkerFunction.*\\.Arn>:\\*$/g' }],
    }]);

    // A Distributed Map starts its child executions and may describe and stop them
    // (https://docs.aws.amazon.com/step-functions/latest/dg/iam-policies-eg-dist-map.html); aws-cdk-lib grants that
    // on this state machine's own executions.
    addNagSuppressions(this.stateMachine.node.findChild('DistributedMapPolicy'), [{
      id: 'AwsSolutions-IAM5',
      reason: 'The Distributed Map runs child executions of this state machine only (https://docs.aws.amazon.com/step-functions/latest/dg/iam-policies-eg-dist-map.html): their ids are generated per map run.',
      appliesTo: [{ regex: '/^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:.*ReplayStateMachine.*:\\*$/g' }],
    }]);

    // A failed execution is the replay's only alarm: the map run's failures beyond the tolerated percentage fail it.
    const alarm = new cloudwatch.Alarm(this, 'FailedExecutionsAlarm', {
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: 'A replay execution failed: see the execution\'s map run (cdk-iot-pipeline replay --stack prints how to follow it).',
    });
    if (target.alarmAction) alarm.addAlarmAction(target.alarmAction);
    target.alarms?.push(alarm);
    this.failedExecutionsAlarm = alarm;

    new CfnOutput(this, REPLAY_OUTPUT_IDS.stateMachineArn, {
      description: REPLAY_STATE_MACHINE_OUTPUT_DESCRIPTION,
      value: this.stateMachine.stateMachineArn,
    });
  }

  /** A Distributed Map over the objects under the plan's prefix of one bucket, batches to the worker. */
  private replayMap(
    id: string,
    bucket: s3.IBucket,
    worker: lambda.IFunction,
    o: { maxConcurrency: number; tolerated: number; objectsPerBatch: number },
  ): sfn.DistributedMap {
    const map = new sfn.DistributedMap(this, id, {
      // ListObjectsV2 over the plan's prefix (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html);
      // the listing needs s3:ListBucket on the bucket, which aws-cdk-lib's item reader grants.
      itemReader: new sfn.S3ObjectsItemReader({ bucket, prefix: sfn.JsonPath.stringAt('$.plan.listPrefix') }),
      itemSelector: { Key: sfn.JsonPath.stringAt('$$.Map.Item.Value.Key') },
      itemBatcher: new sfn.ItemBatcher({
        maxItemsPerBatch: o.objectsPerBatch,
        // Every batch carries the execution input (the worker plans again from it and trusts nothing else) and the
        // execution's name, which names the run folder its counts go to
        // (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html,
        // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html).
        batchInput: { 'input.$': '$$.Execution.Input', 'executionName.$': '$$.Execution.Name' },
      }),
      maxConcurrency: o.maxConcurrency,
      toleratedFailurePercentage: o.tolerated,
      resultPath: sfn.JsonPath.DISCARD,
      comment: 'Hands batches of source objects to the replay worker',
    });
    const invoke = new tasks.LambdaInvoke(this, `${id}Batch`, {
      lambdaFunction: worker,
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    // A child's output is kept by the map until it ends (256 KiB in all): answer nothing, the worker wrote its counts.
    map.itemProcessor(invoke.next(new sfn.Pass(this, `${id}Done`, { parameters: {} })));
    return map;
  }

  /** Read only the source prefixes, write only the target prefixes, invoke only the parser. */
  private grantWorker(role: iam.IRole, target: ReplayTarget, backfillRoot: string): void {
    const failedSource = staticPart(compilePrefix(target.errorOutputPrefix, { errorOutput: true }), ERROR_OUTPUT_TYPES.processingFailed);
    const read = [target.parsedBucket.arnForObjects(`${failedSource}*`)];
    if (target.backupPrefix !== undefined) read.push(target.rawBucket.arnForObjects(`${staticPart(compilePrefix(target.backupPrefix))}*`));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: read }));
    const dataTarget = staticPart(compilePrefix(target.dataOutputPrefix, { dynamicPartitioning: target.dynamicPartitioning }));
    const errorTarget = staticPart(compilePrefix(target.errorOutputPrefix, { errorOutput: true }), REPLAY_FAILED_OUTPUT_TYPE);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      resources: [...new Set([dataTarget, backfillRoot, errorTarget])].map((p) => target.parsedBucket.arnForObjects(`${p}*`)),
    }));
    // The run folder: each batch writes its counts there, the summary lists and reads them back.
    const runs = replayRunsPrefix(target.errorOutputPrefix);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:GetObject'], resources: [target.parsedBucket.arnForObjects(`${runs}*`)] }));
    // ListObjectsV2 needs s3:ListBucket on the bucket; the s3:prefix condition keeps it to the run folder
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html).
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [target.parsedBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': `${runs}*` } },
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [target.parserFunction.functionArn] }));
    if (target.encryptionKey) {
      const sources = target.backupPrefix !== undefined ? [target.parsedBucket, target.rawBucket] : [target.parsedBucket];
      grantKeyThroughS3(target.encryptionKey, role, ['kms:Decrypt'], sources);
      grantKeyThroughS3(target.encryptionKey, role, ['kms:GenerateDataKey'], [target.parsedBucket]);
    }
    addNagSuppressions(role.node.findChild('DefaultPolicy'), [{
      id: 'AwsSolutions-IAM5',
      reason: 'Objects under the replay\'s source prefixes (read) and target prefixes (write) only: their keys are generated per hour and object.',
      appliesTo: [{ regex: '/^Resource::(<[^>]+\\.Arn>|arn:<AWS::Partition>:s3:::[^/]+)\\/.+\\*$/g' }],
    }]);
  }
}

/** The rendered prefix up to its first expression that varies (timestamp, random string, partition key). */
function staticPart(prefix: CompiledPrefix, errorOutputType?: string): string {
  let out = '';
  for (const p of prefix.parts) {
    if (p.kind === 'text') out += p.text;
    else if (p.kind === 'errorOutputType') out += errorOutputType ?? '';
    else break;
  }
  return out;
}

function defaultConcurrency(parser: lambda.IFunction): number {
  const cfn = parser.node.defaultChild;
  const reserved = cfn instanceof lambda.CfnFunction ? cfn.reservedConcurrentExecutions : undefined;
  return typeof reserved === 'number' ? Math.max(1, Math.floor(reserved / 2)) : DEFAULT_MAX_CONCURRENCY;
}

function integerIn(scope: Construct, prop: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) invalid(scope, prop, `${value} is not a whole number in ${min}–${max}.`);
}

function validateBackfillRoot(scope: Construct, root: string, target: ReplayTarget): void {
  if (root === '' || !root.endsWith('/') || root.includes('!{') || root.startsWith('/')) {
    invalid(scope, 'backfillPrefix', `"${root}" must be a plain key prefix ending with "/" (no expressions), e.g. "backfill/".`);
  }
  const folder = (p: string) => p.slice(0, p.lastIndexOf('/') + 1);
  const taken = [
    folder(staticPart(compilePrefix(target.dataOutputPrefix, { dynamicPartitioning: target.dynamicPartitioning }))),
    folder(staticPart(compilePrefix(target.errorOutputPrefix, { errorOutput: true }))),
  ].filter((p) => p !== '');
  const clash = taken.find((p) => p.startsWith(root) || root.startsWith(p));
  if (clash !== undefined) {
    invalid(scope, 'backfillPrefix', `"${root}" overlaps the live data or error prefix ("${clash ?? ''}"); choose a prefix of its own such as "backfill/".`);
  }
}
