/**
 * The replay worker: the Lambda function of a pipeline's replay state machine (`pipeline.addReplay()`).
 *
 * Two kinds of event:
 * - `{"action": "plan", "input": <execution input>}` (the first state): validates the input against the pipeline's
 *   layout and answers the plan (`ReplayPlan`: the bucket and key prefix the Distributed Map lists). A bad input fails
 *   the execution with a message that says what to change.
 * - A Distributed Map child's batch `{"Items": [{"Key": …}], "BatchInput": {"input": <execution input>}}`: for each
 *   object, read it (gunzip when GZIP), rebuild Firehose-shaped transformation events, invoke the pipeline's current
 *   parser synchronously, write the `Ok` rows (GZIP when the stream compresses) and the records that fail again;
 *   write the batch's counts (`ReplayCounts`) as a small JSON object in the execution's run folder (see
 *   `replayBatchCountsKey`: a retried batch overwrites its own) and answer them.
 * - `{"action": "summarize", "executionName": …}` (the last state): lists the run folder, sums the batches' counts
 *   and answers them, which become the execution's output (the map itself discards the children's answers).
 *
 * Everything that does not touch AWS is the contract's replay module (src/contract/replay.ts), which the local replay
 * runs too. Bundled by esbuild with `--external:@aws-sdk/*`: the Lambda Node.js runtime provides the SDK v3.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
// The Lambda runtime provides SDK v3 (bundled with --external:@aws-sdk/*), so it is rightly a devDependency.
// eslint-disable-next-line import/no-extraneous-dependencies
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
// eslint-disable-next-line import/no-extraneous-dependencies
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  addReplayCounts, buildTransformationEvents, emptyReplayCounts, FailedRecord, objectInRange, objectNameTime, OkRow, parseReplayCounts,
  planReplay, readReplayObject, replayBatchCountsKey, replayOutputs, replayRunFolder, replayRunsPrefix, REPLAY_WORKER_ENV, ReplayCounts,
  ReplayLayout, ReplayPlan, splitParserResponse,
} from '../../src/contract/replay';

const s3 = new S3Client({});
const lambda = new LambdaClient({});

/** The first state's event. */
export interface PlanEvent {
  readonly action: 'plan';
  readonly input: unknown;
}

/**
 * A Distributed Map child's batch: the ItemBatcher's `{Items, BatchInput}`, BatchInput carrying the execution input
 * and `$$.Execution.Name` (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html).
 */
export interface BatchEvent {
  readonly Items: ReadonlyArray<{ readonly Key: string }>;
  readonly BatchInput: { readonly input: unknown; readonly executionName: string };
}

/** The last state's event: sum the batches' counts of this execution. */
export interface SummarizeEvent {
  readonly action: 'summarize';
  readonly executionName: string;
}

/** How many count objects the summary reads at once. */
const SUMMARY_READS_AT_ONCE = 32;

interface Settings {
  readonly layout: ReplayLayout;
  readonly parserFunction: string;
  readonly deliveryStreamArn: string;
  readonly region: string;
}

function settings(): Settings {
  const env = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`The replay worker needs the environment variable ${name}; deploy it with pipeline.addReplay().`);
    return value;
  };
  return {
    layout: JSON.parse(env(REPLAY_WORKER_ENV.layout)) as ReplayLayout,
    parserFunction: env(REPLAY_WORKER_ENV.parserFunction),
    deliveryStreamArn: env(REPLAY_WORKER_ENV.deliveryStreamArn),
    region: process.env.AWS_REGION ?? '',
  };
}

export async function handler(event: PlanEvent | BatchEvent | SummarizeEvent): Promise<ReplayPlan | ReplayCounts> {
  const s = settings();
  if ((event as PlanEvent).action === 'plan') return planReplay((event as PlanEvent).input, s.layout);
  if ((event as SummarizeEvent).action === 'summarize') return summarize(s, (event as SummarizeEvent).executionName);
  const batch = event as BatchEvent;
  if (!Array.isArray(batch.Items)) throw new Error('The event is neither {"action": "plan" | "summarize"} nor a Distributed Map batch with "Items".');
  const plan = planReplay(batch.BatchInput?.input, s.layout);
  // Checked before any work: a batch whose counts cannot be kept would be missing from the summary.
  const runFolder = replayRunFolder(replayRunsPrefix(s.layout.errorOutputPrefix), batch.BatchInput?.executionName);
  const counts = emptyReplayCounts();
  // One object after the other: the parser is the bounded resource (the map's MaxConcurrency bounds the workers).
  for (const item of batch.Items) addReplayCounts(counts, await replayObject(s, plan, item.Key));
  if (batch.Items.length > 0) {
    await s3.send(new PutObjectCommand({
      Bucket: s.layout.parsedBucket,
      Key: replayBatchCountsKey(runFolder, batch.Items[0].Key, batch.Items.length),
      Body: JSON.stringify(counts),
      ContentType: 'application/json',
    }));
  }
  console.log(JSON.stringify({ message: 'replayed a batch', objects: batch.Items.length, ...counts }));
  return counts;
}

/**
 * Sums the counts every batch of the execution wrote into its run folder (ListObjectsV2, paged by its continuation
 * token: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html). No folder (no object to replay)
 * sums to zero.
 */
async function summarize(s: Settings, executionName: string): Promise<ReplayCounts> {
  const bucket = s.layout.parsedBucket;
  const folder = replayRunFolder(replayRunsPrefix(s.layout.errorOutputPrefix), executionName);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: folder, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key?.endsWith('.json')) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const total = emptyReplayCounts();
  for (let i = 0; i < keys.length; i += SUMMARY_READS_AT_ONCE) {
    const read = await Promise.all(keys.slice(i, i + SUMMARY_READS_AT_ONCE).map(async (key) => {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return parseReplayCounts(await got.Body!.transformToString(), `s3://${bucket}/${key}`);
    }));
    for (const c of read) addReplayCounts(total, c);
  }
  console.log(JSON.stringify({ message: 'summed the replay', batches: keys.length, ...total }));
  return total;
}

/** Replays one object; returns its counts. */
async function replayObject(s: Settings, plan: ReplayPlan, key: string): Promise<ReplayCounts> {
  const counts = emptyReplayCounts();
  if (!objectInRange(key, plan)) {
    counts.objectsSkipped++;
    return counts;
  }
  const got = await s3.send(new GetObjectCommand({ Bucket: plan.sourceBucket, Key: key }));
  const stored = Buffer.from(await got.Body!.transformToByteArray());
  // GZIP's magic bytes (RFC 1952): the stream's compression decides, not the key's extension.
  const body = stored.length >= 2 && stored[0] === 0x1f && stored[1] === 0x8b ? gunzipSync(stored) : stored;
  const { records, problems } = readReplayObject(plan.source, body, objectNameTime(key)!);
  for (const p of problems) console.log(JSON.stringify({ level: 'WARN', message: `s3://${plan.sourceBucket}/${key}: ${p}; skipped` }));
  counts.objectsRead++;
  counts.recordsRead += records.length;

  const invocation = `replay-${Date.now().toString(36)}`;
  const { batches, tooLarge } = buildTransformationEvents(records, {
    deliveryStreamArn: s.deliveryStreamArn,
    region: s.region,
    invocationId: (n) => `${invocation}-${n}`,
    limitBytes: s.layout.eventLimitBytes,
  });
  const ok: OkRow[] = [];
  const failed: FailedRecord[] = tooLarge.map((record) => ({
    record,
    errorCode: 'Replay.RecordTooLarge',
    errorMessage: 'The record alone makes an event larger than the 6 MB a synchronous Lambda invocation accepts.',
  }));
  for (const b of batches) {
    const result = await invokeParser(s.parserFunction, b.event);
    if ('errorCode' in result) {
      failed.push(...b.records.map((record) => ({ record, ...result })));
      continue;
    }
    const split = splitParserResponse(b, result.response);
    ok.push(...split.ok);
    failed.push(...split.failed);
    counts.dropped += split.dropped;
  }

  const outputs = replayOutputs(ok, failed, {
    sourceKey: key,
    outputPrefix: plan.outputPrefix,
    errorOutputPrefix: plan.errorOutputPrefix,
    dynamicPartitioning: s.layout.dynamicPartitioning,
    timeZone: s.layout.timeZone,
    extension: s.layout.extension,
    errorExtension: s.layout.errorExtension,
    lambdaArn: s.parserFunction,
    now: Date.now(),
  });
  const gzip = s.layout.extension.endsWith('.gz');
  for (const o of [...outputs.data, ...outputs.errors]) {
    await s3.send(new PutObjectCommand({
      Bucket: s.layout.parsedBucket,
      Key: o.key,
      Body: gzip ? gzipSync(o.body) : o.body,
    }));
  }
  counts.ok += outputs.data.reduce((n, o) => n + o.records, 0);
  counts.failedAgain += outputs.errors.reduce((n, o) => n + o.records, 0);
  counts.objectsWritten += outputs.data.length + outputs.errors.length;
  return counts;
}

/**
 * Invokes the parser synchronously (RequestResponse), as Firehose does. A function error fails the batch's records
 * with `Lambda.FunctionError`, as Firehose records it; a throttle or service error throws (the map's child retries).
 */
async function invokeParser(functionName: string, event: unknown): Promise<{ response: unknown } | { errorCode: string; errorMessage: string }> {
  const out = await lambda.send(new InvokeCommand({
    FunctionName: functionName,
    InvocationType: 'RequestResponse',
    Payload: Buffer.from(JSON.stringify(event)),
  }));
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  if (out.FunctionError) {
    return {
      errorCode: 'Lambda.FunctionError',
      errorMessage: `The Lambda function was successfully invoked but it returned an error result: ${text.slice(0, 1000)}`,
    };
  }
  try {
    return { response: JSON.parse(text) };
  } catch {
    return { errorCode: 'Lambda.JsonProcessingException', errorMessage: 'The Lambda response is not JSON.' };
  }
}
