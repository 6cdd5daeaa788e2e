/**
 * Gathering the facts: the AWS reads `doctor` makes (CloudFormation, IoT, Secrets Manager, Firehose, CloudWatch,
 * CloudWatch Logs, S3). Every failed read is recorded as a fact, not thrown, except problems of the caller's setup
 * (no Region, no credentials, an ambiguous or unknown --pipeline).
 */
import { GetMetricDataCommand, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import {
  DescribeCertificateCommand, DescribeThingCommand, GetPolicyCommand, GetTopicRuleCommand, ListAttachedPoliciesCommand,
  ListThingPrincipalsCommand,
} from '@aws-sdk/client-iot';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { NamedPolicy } from '../../local/iot/policy';
import {
  CERTIFICATE_ID_TAG, DEFAULT_DATA_OUTPUT_PREFIX, DEFAULT_ERROR_OUTPUT_PREFIX, ERROR_OUTPUT_TYPES, PIPELINE_OUTPUT_IDS,
  RULE_ERRORS_LISTING_PREFIX,
} from '../../src/contract';
import type { AwsClients } from '../aws/clients';
import { explainAwsError } from '../aws/errors';
import { findPipelines, pipelineResources, selectPipeline } from '../aws/pipeline';
import { describeStack, listStackResources } from '../aws/stack';
import { CliError } from '../errors';
import type { CertificateFacts, DoctorFacts, MetricFacts, ObjectStats, Read, SeriesStats } from './facts';
import { gatherFleets } from './fleet';
import { windowPrefixes } from './prefixes';

/** What to look at. */
export interface GatherOptions {
  readonly stack: string;
  readonly pipeline?: string;
  /** The client id devices connect with (default: the thing name). */
  readonly clientId?: string;
  /** The topic the device publishes to (default: `<publish topic>/<thing name>`). */
  readonly topic?: string;
  /** How far back to look for failures and fresh data. */
  readonly windowMinutes: number;
  readonly now?: Date;
  readonly progress?: (line: string) => void;
}

async function read<T>(what: string, fn: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const notFound = /NotFound|NoSuch/.test(err.name ?? '') || err.$metadata?.httpStatusCode === 404;
    const explained = explainAwsError(e, what);
    if (explained instanceof CliError && !notFound && /no AWS (Region|credentials)/.test(explained.message)) throw explained;
    return { ok: false, notFound, error: explained.message ?? String(e) };
  }
}

/** Reads what the checks need. Throws only for problems of the caller's setup (Region, credentials, --pipeline). */
export async function gatherFacts(clients: AwsClients, o: GatherOptions): Promise<DoctorFacts> {
  const now = o.now ?? new Date();
  const base = { stackName: o.stack, windowMinutes: o.windowMinutes, now };
  o.progress?.(`reading stack ${o.stack}`);
  const stack = await describeStack(clients, o.stack);
  if (!stack) return base;
  const stackFacts = { status: stack.status, partition: stack.partition, region: stack.region, account: stack.account };
  const pipelines = findPipelines(stack.outputs);
  if (pipelines.length === 0) {
    return { ...base, stack: stackFacts, pipelineProblem: `the stack has no IotCoreFirehosePipeline outputs (no output id containing "${PIPELINE_OUTPUT_IDS.thingName}")` };
  }
  const pipeline = selectPipeline(o.stack, pipelines, o.pipeline);
  const resourcesRead = await read('Listing the stack resources', () => listStackResources(clients, o.stack));
  const resources = resourcesRead.ok
    ? pipelineResources(resourcesRead.value, pipeline.prefix, pipelines.map((p) => p.prefix))
    : { ambiguous: [] as string[] };

  const thingName = pipeline.thingName ?? resources.thingName;
  const topic = pipeline.topic;
  const clientId = o.clientId ?? thingName;
  const ruleName = pipeline.topicRuleName ?? resources.topicRuleName;
  const streamName = pipeline.deliveryStreamName ?? resources.deliveryStreamName;
  const policyName = resources.policyName;
  const iot = clients.iot;

  // The reads that need only the names run together; then those that need their results (the certificate, the
  // stream's prefixes), again together.
  o.progress?.('checking the thing, certificate, policy, topic rule and delivery stream');
  const start = new Date(now.getTime() - o.windowMinutes * 60_000);
  const rawBucket = pipeline.rawBucket;
  const [thing, thingPrincipals, secret, pipelinePolicy, rule, stream, metrics, ruleErrorObjects] = await Promise.all([
    thingName !== undefined
      ? read(`Reading thing ${thingName}`, async () => { await iot.send(new DescribeThingCommand({ thingName })); return true as const; })
      : undefined,
    thingName !== undefined
      ? read(`Listing the principals of thing ${thingName}`, async () => (await iot.send(new ListThingPrincipalsCommand({ thingName }))).principals ?? [])
      : undefined,
    // The generated certificate's id: the tag of its secret (DescribeSecret: the id without the private key).
    resources.certificateId === undefined && pipeline.certificateSecretArn !== undefined
      ? read(`Describing secret ${pipeline.certificateSecretArn}`, async () => {
        const tags = (await clients.secrets.send(new DescribeSecretCommand({ SecretId: pipeline.certificateSecretArn }))).Tags ?? [];
        return tags.find((tag) => tag.Key === CERTIFICATE_ID_TAG)?.Value;
      })
      : undefined,
    policyName !== undefined
      ? read(`Reading policy ${policyName}`, async () => ({
        name: policyName,
        document: (await iot.send(new GetPolicyCommand({ policyName }))).policyDocument ?? '{}',
      }))
      : undefined,
    ruleName !== undefined
      ? read(`Reading topic rule ${ruleName}`, async () => {
        const r = (await iot.send(new GetTopicRuleCommand({ ruleName }))).rule;
        return {
          sql: r?.sql ?? '',
          disabled: r?.ruleDisabled === true,
          firehoseStreams: (r?.actions ?? []).flatMap((a) => (a.firehose ? [a.firehose.deliveryStreamName ?? ''] : [])),
          hasErrorAction: r?.errorAction !== undefined && Object.keys(r.errorAction).length > 0,
        };
      })
      : undefined,
    streamName !== undefined
      ? read(`Reading delivery stream ${streamName}`, async () => {
        const d = (await clients.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: streamName }))).DeliveryStreamDescription;
        const dest = d?.Destinations?.[0]?.ExtendedS3DestinationDescription;
        const logging = dest?.CloudWatchLoggingOptions;
        return {
          status: d?.DeliveryStreamStatus ?? 'UNKNOWN',
          failure: d?.FailureDescription ? `${d.FailureDescription.Type}: ${d.FailureDescription.Details}` : undefined,
          bucket: dest?.BucketARN?.split(':::')[1],
          prefix: dest?.Prefix,
          errorPrefix: dest?.ErrorOutputPrefix,
          dynamicPartitioning: dest?.DynamicPartitioningConfiguration?.Enabled === true,
          logGroup: logging?.Enabled && logging.LogGroupName ? logging.LogGroupName : undefined,
          bufferSeconds: dest?.BufferingHints?.IntervalInSeconds,
        };
      })
      : undefined,
    streamName !== undefined ? read('Reading the Firehose metrics', () => readMetrics(clients, streamName, start, now)) : undefined,
    rawBucket !== undefined
      ? read(`Listing s3://${rawBucket}`, () => listRecent(clients, rawBucket, windowPrefixes(RULE_ERRORS_LISTING_PREFIX, start, now), start))
      : undefined,
  ]);

  // The certificate: from the stack (csr / generated), else the tag of the generated certificate's secret, else the thing.
  let certificate: CertificateFacts | undefined;
  let certificateProblem: string | undefined;
  if (resources.certificateId !== undefined) {
    certificate = { source: 'stack resource', id: resources.certificateId };
  } else if (secret) {
    if (secret.ok && secret.value) {
      certificate = { source: 'certificate secret', id: secret.value };
    } else {
      certificateProblem = secret.ok ? `secret ${pipeline.certificateSecretArn} has no ${CERTIFICATE_ID_TAG} tag (the certificate provider writes it)` : secret.error;
    }
  }
  if (!certificate && thingPrincipals?.ok) {
    const arn = thingPrincipals.value.find((p) => /:cert\/[0-9a-f]+$/.test(p));
    if (arn) certificate = { source: 'thing principal', id: certIdFromArn(arn), arn };
  }
  if (!certificate && certificateProblem === undefined) {
    certificateProblem = 'the stack has no certificate (DeviceCertificate.none()?) and no certificate is attached to the thing';
  }

  o.progress?.(`looking for failures and fresh data in the last ${o.windowMinutes} minutes`);
  const streamInfo = stream?.ok ? stream.value : undefined;
  const parsedBucket = pipeline.parsedBucket ?? streamInfo?.bucket;
  const logGroup = streamInfo?.logGroup;
  const [certificateReads, processingFailedObjects, parsedObjects, deliveryLogErrors] = await Promise.all([
    readCertificate(clients, certificate),
    parsedBucket !== undefined
      ? read(`Listing s3://${parsedBucket}`, () => listRecent(clients, parsedBucket,
        windowPrefixes(streamInfo?.errorPrefix ?? DEFAULT_ERROR_OUTPUT_PREFIX, start, now,
          { errorOutputType: ERROR_OUTPUT_TYPES.processingFailed, dynamicPartitioning: streamInfo?.dynamicPartitioning }), start))
      : undefined,
    parsedBucket !== undefined
      ? read(`Listing s3://${parsedBucket}`, () => listRecent(clients, parsedBucket,
        windowPrefixes(streamInfo?.prefix ?? DEFAULT_DATA_OUTPUT_PREFIX, start, now,
          { dynamicPartitioning: streamInfo?.dynamicPartitioning }), start))
      : undefined,
    logGroup !== undefined
      ? read(`Reading log group ${logGroup}`, async () => {
        const events = (await clients.logs.send(new FilterLogEventsCommand({
          logGroupName: logGroup, startTime: start.getTime(), endTime: now.getTime() + 60_000, limit: 100,
        }))).events ?? [];
        const latest = events.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0)).at(-1)?.message;
        return { count: events.length, ...(latest !== undefined ? { latest } : {}) };
      })
      : undefined,
  ]);
  certificate = certificateReads.certificate;
  const attachedPolicies = certificateReads.attachedPolicies;

  o.progress?.('checking the fleet provisioning templates');
  const fleets = await gatherFleets(clients, o.stack, stack.outputs, read);

  return {
    ...base,
    fleets,
    stack: stackFacts,
    pipelinePrefix: pipeline.prefix,
    thingName,
    topic,
    publishTopic: pipeline.publishTopic,
    clientId,
    deviceTopic: o.topic,
    policyName,
    ruleName,
    streamName,
    parsedBucket,
    rawBucket: pipeline.rawBucket,
    thing,
    certificate,
    certificateProblem,
    attachedPolicies,
    pipelinePolicy,
    thingPrincipals,
    rule,
    stream,
    metrics,
    processingFailedObjects,
    ruleErrorObjects,
    parsedObjects,
    deliveryLogErrors,
  };
}

/** DescribeCertificate, then the certificate's policies (each document read together). */
async function readCertificate(clients: AwsClients, found: CertificateFacts | undefined): Promise<{
  certificate: CertificateFacts | undefined;
  attachedPolicies: Read<NamedPolicy[]> | undefined;
}> {
  if (found?.id === undefined) return { certificate: found, attachedPolicies: undefined };
  const id = found.id;
  const iot = clients.iot;
  const described = await read(`Reading certificate ${id}`, async () => (await iot.send(new DescribeCertificateCommand({ certificateId: id }))).certificateDescription);
  const certificate: CertificateFacts = {
    ...found,
    arn: found.arn ?? (described.ok ? described.value?.certificateArn : undefined),
    read: described.ok ? { ok: true, value: { status: described.value?.status ?? 'UNKNOWN' } } : described,
  };
  const certArn = certificate.arn;
  const attachedPolicies = certArn !== undefined
    ? await read(`Listing the policies of certificate ${id}`, async () => {
      const names = ((await iot.send(new ListAttachedPoliciesCommand({ target: certArn, recursive: false }))).policies ?? [])
        .flatMap((p) => (p.policyName ? [p.policyName] : []));
      return Promise.all(names.map(async (name) => ({
        name,
        document: (await iot.send(new GetPolicyCommand({ policyName: name }))).policyDocument ?? '{}',
      })));
    })
    : undefined;
  return { certificate, attachedPolicies };
}

function certIdFromArn(arn?: string): string | undefined {
  return arn?.split(':cert/')[1];
}

async function listRecent(clients: AwsClients, bucket: string, prefixes: string[], since: Date): Promise<ObjectStats> {
  let count = 0;
  let newestKey: string | undefined;
  let newestTime: Date | undefined;
  for (const prefix of prefixes) {
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const obj of page.Contents ?? []) {
        if (!obj.LastModified || obj.LastModified < since) continue;
        count++;
        if (!newestTime || obj.LastModified > newestTime) {
          newestTime = obj.LastModified;
          newestKey = obj.Key;
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token && ++pages < 20);
  }
  return { bucket, prefixes, count, newestKey, newestTime };
}

async function readMetrics(clients: AwsClients, streamName: string, start: Date, end: Date): Promise<MetricFacts> {
  const metric = (id: string, name: string, stat: string): MetricDataQuery => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: 'AWS/Firehose', MetricName: name, Dimensions: [{ Name: 'DeliveryStreamName', Value: streamName }] },
      Period: 300,
      Stat: stat,
    },
  });
  const queries = [
    metric('procavg', 'ExecuteProcessing.Success', 'Average'), metric('procmin', 'ExecuteProcessing.Success', 'Minimum'),
    metric('delavg', 'DeliveryToS3.Success', 'Average'), metric('delmin', 'DeliveryToS3.Success', 'Minimum'),
    metric('freshmax', 'DeliveryToS3.DataFreshness', 'Maximum'),
  ];
  const values: Record<string, number[]> = {};
  let token: string | undefined;
  do {
    const page = await clients.cloudWatch.send(new GetMetricDataCommand({
      MetricDataQueries: queries, StartTime: start, EndTime: new Date(end.getTime() + 60_000), NextToken: token,
    }));
    for (const r of page.MetricDataResults ?? []) (values[r.Id ?? ''] ??= []).push(...(r.Values ?? []));
    token = page.NextToken;
  } while (token);
  const stats = (avgId: string, minId: string, maxId?: string): SeriesStats | undefined => {
    const avg = values[avgId] ?? [];
    if (avg.length === 0) return undefined;
    const min = values[minId] ?? avg;
    const max = values[maxId ?? avgId] ?? avg;
    return {
      datapoints: avg.length,
      average: avg.reduce((a, b) => a + b, 0) / avg.length,
      minimum: Math.min(...min),
      maximum: Math.max(...max),
    };
  };
  return {
    processing: stats('procavg', 'procmin'),
    delivery: stats('delavg', 'delmin'),
    freshness: stats('freshmax', 'freshmax', 'freshmax'),
  };
}

