import { GetMetricDataCommand, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import {
  DescribeCertificateCommand, DescribeThingCommand, GetPolicyCommand, GetTopicRuleCommand, ListAttachedPoliciesCommand,
  ListThingPrincipalsCommand,
} from '@aws-sdk/client-iot';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import {
  AwsClients, describeStack, explainAwsError, findPipelines, listStackResources, pipelineResources, selectPipeline,
} from './aws';
import { CliError } from './errors';
import { renderTable } from './format';
import { describeStatement, evaluatePolicies, EvaluationResult, iotArn, NamedPolicy, PolicyParseError } from '../local/iot/policy';
import { parseRuleSql, ruleReceives, splitBasicIngest } from '../local/iot/topic-filter';

/** PASS: fine. WARN: look at it (or could not be checked). FAIL: the pipeline cannot work like this. */
export type Status = 'PASS' | 'WARN' | 'FAIL';

/** Ids of the checks, in the order they run. */
export const CHECKS = [
  'stack', 'certificate', 'certificate-policy', 'certificate-thing', 'policy-connect', 'policy-publish',
  'rule', 'rule-topic', 'rule-action', 'stream', 'processing', 'delivery', 'rule-errors', 'freshness',
] as const;
export type CheckId = typeof CHECKS[number];

/** One finding. */
export interface Finding {
  readonly id: CheckId;
  readonly status: Status;
  readonly title: string;
  readonly detail: string;
  /** What to do (WARN/FAIL). */
  readonly fix?: string;
}

export interface DoctorOptions {
  readonly stack: string;
  readonly pipeline?: string;
  /** The client id devices connect with (default: the thing name). */
  readonly clientId?: string;
  /** How far back to look for failures and fresh data. */
  readonly windowMinutes: number;
  readonly now?: Date;
  readonly progress?: (line: string) => void;
}

export interface DoctorReport {
  readonly stack: string;
  readonly pipeline?: string;
  readonly region?: string;
  readonly thingName?: string;
  readonly topic?: string;
  readonly clientId?: string;
  readonly windowMinutes: number;
  readonly findings: Finding[];
  readonly summary: { readonly pass: number; readonly warn: number; readonly fail: number };
}

/** A value read from AWS, or why it could not be read. */
type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly notFound: boolean; readonly error: string };

/** Everything the checks look at (gathered with the AWS APIs; evaluated by a pure function). */
export interface DoctorFacts {
  readonly stackName: string;
  readonly windowMinutes: number;
  readonly now: Date;
  readonly stack?: { readonly status: string; readonly partition: string; readonly region: string; readonly account: string };
  /** Why no pipeline was found in the stack outputs. */
  readonly pipelineProblem?: string;
  readonly pipelinePrefix?: string;
  readonly thingName?: string;
  readonly topic?: string;
  /** The topic prefix devices publish under (PublishTopicOutput; `$aws/rules/<rule>/<topic>` with Basic Ingest). */
  readonly publishTopic?: string;
  readonly clientId?: string;
  readonly policyName?: string;
  readonly ruleName?: string;
  readonly streamName?: string;
  readonly parsedBucket?: string;
  readonly rawBucket?: string;
  readonly thing?: Read<true>;
  readonly certificate?: { readonly source: string; readonly id?: string; readonly arn?: string; readonly read?: Read<{ status: string }> };
  /** Why no certificate could be found. */
  readonly certificateProblem?: string;
  readonly attachedPolicies?: Read<NamedPolicy[]>;
  readonly pipelinePolicy?: Read<NamedPolicy>;
  readonly thingPrincipals?: Read<string[]>;
  readonly rule?: Read<{ sql: string; disabled: boolean; firehoseStreams: string[]; hasErrorAction: boolean }>;
  readonly stream?: Read<StreamFacts>;
  readonly metrics?: Read<MetricFacts>;
  readonly processingFailedObjects?: Read<ObjectStats>;
  readonly ruleErrorObjects?: Read<ObjectStats>;
  readonly parsedObjects?: Read<ObjectStats>;
  readonly deliveryLogErrors?: Read<{ count: number; latest?: string }>;
}

/** What DescribeDeliveryStream says. */
export interface StreamFacts {
  readonly status: string;
  readonly failure?: string;
  readonly bucket?: string;
  readonly prefix?: string;
  readonly errorPrefix?: string;
  readonly logGroup?: string;
  readonly bufferSeconds?: number;
}

/** The Firehose metrics over the window (undefined: no data points). */
export interface MetricFacts {
  readonly processing?: SeriesStats;
  readonly delivery?: SeriesStats;
  readonly freshness?: SeriesStats;
}

/** Aggregates of a metric over the window. */
export interface SeriesStats {
  readonly datapoints: number;
  readonly average: number;
  readonly minimum: number;
  readonly maximum: number;
}

/** Objects under a prefix within the window. */
export interface ObjectStats {
  readonly bucket: string;
  readonly prefixes: string[];
  readonly count: number;
  readonly newestKey?: string;
  readonly newestTime?: Date;
}

/** Runs all checks. */
export async function runDoctor(clients: AwsClients, o: DoctorOptions): Promise<DoctorReport> {
  const facts = await gatherFacts(clients, o);
  const findings = evaluateFacts(facts);
  return {
    stack: o.stack,
    pipeline: facts.pipelinePrefix,
    region: facts.stack?.region,
    thingName: facts.thingName,
    topic: facts.topic,
    clientId: facts.clientId,
    windowMinutes: o.windowMinutes,
    findings,
    summary: {
      pass: findings.filter((f) => f.status === 'PASS').length,
      warn: findings.filter((f) => f.status === 'WARN').length,
      fail: findings.filter((f) => f.status === 'FAIL').length,
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Gathering facts (AWS calls; every failure is recorded, not thrown, except for setup errors)
// ------------------------------------------------------------------------------------------------

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
export async function gatherFacts(clients: AwsClients, o: DoctorOptions): Promise<DoctorFacts> {
  const now = o.now ?? new Date();
  const base = { stackName: o.stack, windowMinutes: o.windowMinutes, now };
  o.progress?.(`reading stack ${o.stack}`);
  const stack = await describeStack(clients, o.stack);
  if (!stack) return base;
  const stackFacts = { status: stack.status, partition: stack.partition, region: stack.region, account: stack.account };
  const pipelines = findPipelines(stack.outputs);
  if (pipelines.length === 0) {
    return { ...base, stack: stackFacts, pipelineProblem: 'the stack has no IotCoreFirehosePipeline outputs (no output id containing "ThingNameOutput")' };
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

  o.progress?.('checking the thing, certificate and policy');
  const thing = thingName !== undefined
    ? await read(`Reading thing ${thingName}`, async () => { await iot.send(new DescribeThingCommand({ thingName })); return true as const; })
    : undefined;
  const thingPrincipals = thingName !== undefined
    ? await read(`Listing the principals of thing ${thingName}`, async () => (await iot.send(new ListThingPrincipalsCommand({ thingName }))).principals ?? [])
    : undefined;

  // The certificate: from the stack (csr / generated), else the generated certificate's secret, else the thing.
  let certificate: DoctorFacts['certificate'];
  let certificateProblem: string | undefined;
  if (resources.certificateId !== undefined) {
    certificate = { source: 'stack resource', id: resources.certificateId };
  } else if (pipeline.certificateSecretArn !== undefined) {
    const secret = await read(`Reading secret ${pipeline.certificateSecretArn}`, async () => {
      const text = (await clients.secrets.send(new GetSecretValueCommand({ SecretId: pipeline.certificateSecretArn }))).SecretString ?? '';
      const parsed = JSON.parse(text) as { certificateId?: string; certificateArn?: string };
      return { id: parsed.certificateId, arn: parsed.certificateArn };
    });
    if (secret.ok && (secret.value.id || secret.value.arn)) {
      certificate = { source: 'certificate secret', id: secret.value.id ?? certIdFromArn(secret.value.arn), arn: secret.value.arn };
    } else {
      certificateProblem = secret.ok ? `secret ${pipeline.certificateSecretArn} holds no certificateId/certificateArn` : secret.error;
    }
  }
  if (!certificate && thingPrincipals?.ok) {
    const arn = thingPrincipals.value.find((p) => /:cert\/[0-9a-f]+$/.test(p));
    if (arn) certificate = { source: 'thing principal', id: certIdFromArn(arn), arn };
  }
  if (!certificate && certificateProblem === undefined) {
    certificateProblem = 'the stack has no certificate (DeviceCertificate.none()?) and no certificate is attached to the thing';
  }
  if (certificate?.id !== undefined) {
    const id = certificate.id;
    const described = await read(`Reading certificate ${id}`, async () => (await iot.send(new DescribeCertificateCommand({ certificateId: id }))).certificateDescription);
    certificate = {
      ...certificate,
      arn: certificate.arn ?? (described.ok ? described.value?.certificateArn : undefined),
      read: described.ok ? { ok: true, value: { status: described.value?.status ?? 'UNKNOWN' } } : described,
    };
  }
  const certArn = certificate?.arn;
  const attachedPolicies = certArn !== undefined
    ? await read(`Listing the policies of certificate ${certificate?.id}`, async () => {
      const names = ((await iot.send(new ListAttachedPoliciesCommand({ target: certArn, recursive: false }))).policies ?? [])
        .map((p) => p.policyName!).filter((n) => n);
      return Promise.all(names.map(async (name) => ({
        name,
        document: (await iot.send(new GetPolicyCommand({ policyName: name }))).policyDocument ?? '{}',
      })));
    })
    : undefined;
  const pipelinePolicy = policyName !== undefined
    ? await read(`Reading policy ${policyName}`, async () => ({
      name: policyName,
      document: (await iot.send(new GetPolicyCommand({ policyName }))).policyDocument ?? '{}',
    }))
    : undefined;

  o.progress?.('checking the topic rule and the delivery stream');
  const rule = ruleName !== undefined
    ? await read(`Reading topic rule ${ruleName}`, async () => {
      const r = (await iot.send(new GetTopicRuleCommand({ ruleName }))).rule;
      return {
        sql: r?.sql ?? '',
        disabled: r?.ruleDisabled === true,
        firehoseStreams: (r?.actions ?? []).filter((a) => a.firehose).map((a) => a.firehose!.deliveryStreamName ?? ''),
        hasErrorAction: r?.errorAction !== undefined && Object.keys(r.errorAction).length > 0,
      };
    })
    : undefined;
  const stream = streamName !== undefined
    ? await read(`Reading delivery stream ${streamName}`, async () => {
      const d = (await clients.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: streamName }))).DeliveryStreamDescription;
      const dest = d?.Destinations?.[0]?.ExtendedS3DestinationDescription;
      const logging = dest?.CloudWatchLoggingOptions;
      return {
        status: d?.DeliveryStreamStatus ?? 'UNKNOWN',
        failure: d?.FailureDescription ? `${d.FailureDescription.Type}: ${d.FailureDescription.Details}` : undefined,
        bucket: dest?.BucketARN?.split(':::')[1],
        prefix: dest?.Prefix,
        errorPrefix: dest?.ErrorOutputPrefix,
        logGroup: logging?.Enabled && logging.LogGroupName ? logging.LogGroupName : undefined,
        bufferSeconds: dest?.BufferingHints?.IntervalInSeconds,
      };
    })
    : undefined;

  o.progress?.(`looking for failures and fresh data in the last ${o.windowMinutes} minutes`);
  const start = new Date(now.getTime() - o.windowMinutes * 60_000);
  const metrics = streamName !== undefined
    ? await read('Reading the Firehose metrics', () => readMetrics(clients, streamName, start, now))
    : undefined;
  const streamInfo = stream?.ok ? stream.value : undefined;
  const parsedBucket = pipeline.parsedBucket ?? streamInfo?.bucket;
  const processingFailedObjects = parsedBucket !== undefined
    ? await read(`Listing s3://${parsedBucket}`, () => listRecent(clients, parsedBucket,
      windowPrefixes(streamInfo?.errorPrefix ?? DEFAULT_ERROR_PREFIX, start, now, 'processing-failed'), start))
    : undefined;
  const parsedObjects = parsedBucket !== undefined
    ? await read(`Listing s3://${parsedBucket}`, () => listRecent(clients, parsedBucket,
      windowPrefixes(streamInfo?.prefix ?? DEFAULT_DATA_PREFIX, start, now), start))
    : undefined;
  const ruleErrorObjects = pipeline.rawBucket !== undefined
    ? await read(`Listing s3://${pipeline.rawBucket}`, () => listRecent(clients, pipeline.rawBucket!,
      windowPrefixes(RULE_ERROR_PREFIX, start, now), start))
    : undefined;
  const logGroup = streamInfo?.logGroup;
  const deliveryLogErrors = logGroup !== undefined
    ? await read(`Reading log group ${logGroup}`, async () => {
      const events = (await clients.logs.send(new FilterLogEventsCommand({
        logGroupName: logGroup, startTime: start.getTime(), endTime: now.getTime() + 60_000, limit: 100,
      }))).events ?? [];
      const latest = events.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0)).at(-1)?.message;
      return { count: events.length, ...(latest !== undefined ? { latest } : {}) };
    })
    : undefined;

  return {
    ...base,
    stack: stackFacts,
    pipelinePrefix: pipeline.prefix,
    thingName,
    topic,
    publishTopic: pipeline.publishTopic,
    clientId,
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

function certIdFromArn(arn?: string): string | undefined {
  return arn?.split(':cert/')[1];
}

const DEFAULT_DATA_PREFIX = 'parsed/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';
const DEFAULT_ERROR_PREFIX = 'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';
/** Where the construct's rule error action writes (`iot-rule-errors/yyyy/MM/dd/HH/<uuid>.json`). */
const RULE_ERROR_PREFIX = 'iot-rule-errors/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/';

/**
 * The S3 key prefix Firehose uses for a given time (UTC): `!{timestamp:<pattern>}` (yyyy, yy, MM, dd, HH,
 * mm, ss) and `!{firehose:error-output-type}` are replaced; the prefix is cut before any other expression
 * (random strings, partition keys). A prefix without a timestamp expression gets `yyyy/MM/dd/HH/` appended,
 * as Firehose does.
 */
export function expandFirehosePrefix(prefix: string, time: Date, errorOutputType?: string): string {
  let p = prefix;
  if (!p.includes('!{timestamp:')) {
    if (errorOutputType !== undefined && !p.includes('!{firehose:error-output-type}')) p += `${errorOutputType}/`;
    p += '!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/';
  }
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  let out = '';
  const re = /!\{([^}]*)\}/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(p)) !== null) {
    out += p.slice(last, m.index);
    last = m.index + m[0].length;
    const expr = m[1];
    if (expr === 'firehose:error-output-type' && errorOutputType !== undefined) {
      out += errorOutputType;
    } else if (expr.startsWith('timestamp:')) {
      out += expr.slice('timestamp:'.length).replace(/'[^']*'|yyyy|yy|MM|dd|HH|mm|ss/g, (tok) => {
        switch (tok) {
          case 'yyyy': return String(time.getUTCFullYear());
          case 'yy': return pad(time.getUTCFullYear() % 100);
          case 'MM': return pad(time.getUTCMonth() + 1);
          case 'dd': return pad(time.getUTCDate());
          case 'HH': return pad(time.getUTCHours());
          case 'mm': return pad(time.getUTCMinutes());
          case 'ss': return pad(time.getUTCSeconds());
          default: return tok.slice(1, -1);
        }
      });
    } else {
      return out; // an expression we cannot predict: list everything under the part before it
    }
  }
  return out + p.slice(last);
}

/** The prefixes of every UTC hour in [start, end]. */
export function windowPrefixes(prefix: string, start: Date, end: Date, errorOutputType?: string): string[] {
  const out: string[] = [];
  const hour = new Date(Math.floor(start.getTime() / 3_600_000) * 3_600_000);
  for (let t = hour.getTime(); t <= end.getTime(); t += 3_600_000) {
    const p = expandFirehosePrefix(prefix, new Date(t), errorOutputType);
    if (!out.includes(p)) out.push(p);
  }
  return out;
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
    for (const r of page.MetricDataResults ?? []) (values[r.Id!] ??= []).push(...(r.Values ?? []));
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

// ------------------------------------------------------------------------------------------------
// Evaluating facts (pure)
// ------------------------------------------------------------------------------------------------

/** Turns the facts into findings, one per check. */
export function evaluateFacts(f: DoctorFacts): Finding[] {
  const out: Finding[] = [];
  const add = (id: CheckId, status: Status, title: string, detail: string, fix?: string) => {
    out.push({ id, status, title, detail, ...(fix !== undefined && status !== 'PASS' ? { fix } : {}) });
  };
  const notChecked = (id: CheckId, title: string, why: string) => add(id, 'WARN', title, `not checked: ${why}`, 'fix the FAIL findings above first');

  // stack -------------------------------------------------------------------------------------------
  if (!f.stack) {
    add('stack', 'FAIL', 'Stack', `stack ${f.stackName} does not exist in this account/Region`,
      'check --stack and --region (or AWS_REGION); deploy the app with `cdk deploy`');
    return out;
  }
  const st = f.stack.status;
  if (f.pipelineProblem !== undefined) {
    add('stack', 'FAIL', 'Stack', `stack ${f.stackName} (${st}): ${f.pipelineProblem}`, 'pass the stack that holds the IotCoreFirehosePipeline');
    return out;
  }
  const stackTitle = 'Stack';
  const pipelineText = `pipeline ${f.pipelinePrefix || '(unnamed)'}: thing ${f.thingName ?? '?'}, topic ${f.topic ?? '?'}`;
  if (/(ROLLBACK|FAILED)/.test(st) && st !== 'UPDATE_ROLLBACK_COMPLETE') {
    add('stack', 'FAIL', stackTitle, `stack ${f.stackName} is ${st}; ${pipelineText}`, 'see the stack events in the CloudFormation console, fix the cause and deploy again');
  } else if (/IN_PROGRESS$/.test(st) || st === 'UPDATE_ROLLBACK_COMPLETE') {
    add('stack', 'WARN', stackTitle, `stack ${f.stackName} is ${st}; ${pipelineText}`,
      st === 'UPDATE_ROLLBACK_COMPLETE' ? 'the last update was rolled back; see the stack events' : 'wait for the deployment to finish and run doctor again');
  } else {
    add('stack', 'PASS', stackTitle, `stack ${f.stackName} is ${st}; ${pipelineText}`);
  }
  const thingName = f.thingName;
  const publishBase = f.publishTopic ?? f.topic;
  const deviceTopic = publishBase !== undefined && thingName !== undefined ? `${publishBase}/${thingName}` : undefined;

  // certificate ------------------------------------------------------------------------------------
  const cert = f.certificate;
  const certTitle = 'Certificate exists and is ACTIVE';
  let certUsable = false;
  if (!cert) {
    add('certificate', 'FAIL', certTitle, `no device certificate: ${f.certificateProblem}`,
      `create a certificate and attach it (\`aws iot attach-thing-principal --thing-name ${thingName} --principal <certificate ARN>\`), or use DeviceCertificate.generated() / fromCsr()`);
  } else if (!cert.read) {
    add('certificate', 'FAIL', certTitle, `certificate ${cert.arn ?? '?'} (from the ${cert.source}) has no id`, 'redeploy the stack');
  } else if (!cert.read.ok) {
    add('certificate', 'FAIL', certTitle, cert.read.notFound
      ? `certificate ${cert.id} (from the ${cert.source}) does not exist`
      : `certificate ${cert.id}: ${cert.read.error}`, cert.read.notFound ? 'it was deleted outside CloudFormation: redeploy (or replace the certificate)' : 'check the permissions (iot:DescribeCertificate)');
  } else if (cert.read.value.status !== 'ACTIVE') {
    const status = cert.read.value.status;
    add('certificate', 'FAIL', certTitle, `certificate ${cert.id} (from the ${cert.source}) is ${status}: AWS IoT refuses the TLS connection`,
      status === 'REVOKED'
        ? 'a revoked certificate cannot be reactivated: issue a new one and attach the policy and thing to it'
        : `\`aws iot update-certificate --certificate-id ${cert.id} --new-status ACTIVE\``);
    certUsable = true;
  } else {
    add('certificate', 'PASS', certTitle, `certificate ${cert.id} (from the ${cert.source}) is ACTIVE`);
    certUsable = true;
  }

  // certificate-policy -------------------------------------------------------------------------------
  const cpTitle = 'Policy attached to the certificate';
  const policyRef = f.policyName ?? 'the stack\'s AWS::IoT::Policy …DevicePolicy…';
  if (!certUsable || !cert?.arn) {
    notChecked('certificate-policy', cpTitle, 'no usable certificate');
  } else if (!f.attachedPolicies?.ok) {
    add('certificate-policy', 'WARN', cpTitle, `could not list the certificate's policies: ${f.attachedPolicies?.error}`, 'allow iot:ListAttachedPolicies');
  } else {
    const names = f.attachedPolicies.value.map((p) => p.name);
    const fix = `\`aws iot attach-policy --policy-name ${f.policyName ?? '<device policy name>'} --target ${cert.arn}\``;
    if (names.length === 0) {
      add('certificate-policy', 'FAIL', cpTitle, `no policy is attached to certificate ${cert.id}: every request of the device is denied`, fix);
    } else if (f.policyName !== undefined && !names.includes(f.policyName)) {
      add('certificate-policy', 'FAIL', cpTitle, `the pipeline's policy ${f.policyName} is not attached to certificate ${cert.id} (attached: ${names.join(', ')})`, fix);
    } else {
      add('certificate-policy', 'PASS', cpTitle, `attached to certificate ${cert.id}: ${names.join(', ')}`);
    }
  }

  // certificate-thing -------------------------------------------------------------------------------
  const ctTitle = 'Certificate attached to the thing';
  let attached: boolean | undefined;
  if (thingName === undefined) {
    add('certificate-thing', 'FAIL', ctTitle, 'no thing name in the stack outputs or resources', 'redeploy the stack');
  } else if (f.thing && !f.thing.ok) {
    add('certificate-thing', 'FAIL', ctTitle, f.thing.notFound ? `thing ${thingName} does not exist` : `thing ${thingName}: ${f.thing.error}`,
      f.thing.notFound ? 'it was deleted outside CloudFormation: redeploy the stack' : 'allow iot:DescribeThing');
  } else if (!cert?.arn) {
    notChecked('certificate-thing', ctTitle, 'no certificate');
  } else if (!f.thingPrincipals?.ok) {
    add('certificate-thing', 'WARN', ctTitle, `could not list the thing's principals: ${f.thingPrincipals?.error}`, 'allow iot:ListThingPrincipals');
  } else {
    attached = f.thingPrincipals.value.includes(cert.arn);
    if (attached) {
      add('certificate-thing', 'PASS', ctTitle, `certificate ${cert.id} is attached to thing ${thingName}`);
    } else {
      add('certificate-thing', 'FAIL', ctTitle,
        `certificate ${cert.id} is not attached to thing ${thingName}: \${iot:Connection.Thing.*} policy variables do not resolve and IsAttached is false`,
        `\`aws iot attach-thing-principal --thing-name ${thingName} --principal ${cert.arn}\``);
    }
  }

  // policy-connect / policy-publish ---------------------------------------------------------------------
  const policies: NamedPolicy[] | undefined = f.attachedPolicies?.ok && certUsable
    ? f.attachedPolicies.value
    : f.pipelinePolicy?.ok ? [f.pipelinePolicy.value] : undefined;
  const evaluatedWhat = f.attachedPolicies?.ok && certUsable
    ? 'the policies attached to the certificate'
    : `policy ${f.policyName} alone (not known to be attached; certificate assumed attached to the thing)`;
  const clientId = f.clientId ?? thingName;
  // Unknown attachment (no certificate found): evaluate as the construct sets it up, attached.
  const assumeAttached = attached ?? true;
  const context = {
    clientId,
    thingName: clientId !== undefined && clientId === thingName && assumeAttached ? thingName : undefined,
    isAttached: clientId === thingName && assumeAttached,
  };
  const policyAttachFailed = out.some((x) => x.id === 'certificate-policy' && x.status === 'FAIL');
  const evalCheck = (id: CheckId, title: string, action: string, resource: string | undefined, allowFix: string) => {
    if (!policies) {
      notChecked(id, title, 'the policies could not be read');
      return;
    }
    if (resource === undefined) {
      notChecked(id, title, 'thing name or topic unknown');
      return;
    }
    let result: EvaluationResult;
    try {
      result = evaluatePolicies(policies, { action, resource, context });
    } catch (e) {
      if (!(e instanceof PolicyParseError)) throw e;
      add(id, 'FAIL', title, e.message, 'fix the policy document (JSON with Version and Statement)');
      return;
    }
    const notes = result.notes.length > 0 ? ` (${result.notes.join('; ')})` : '';
    if (result.decision === 'Allow') {
      const alone = policies.length === 1 && !(f.attachedPolicies?.ok && certUsable) ? ` (evaluated ${evaluatedWhat})` : '';
      add(id, 'PASS', title, `${action} on ${resource} is allowed by ${result.allowedBy.map(describeStatement).join(', ')}${alone}${notes}`);
    } else if (result.decision === 'ExplicitDeny') {
      add(id, 'FAIL', title, `${action} on ${resource} is denied by ${result.deniedBy.map(describeStatement).join(', ')}${notes}`,
        'remove or narrow that Deny statement (a Deny wins over every Allow), then `aws iot create-policy-version --set-as-default`');
    } else {
      const conditionBlocked = result.notes.some((n) => n.includes('does not hold') || n.includes('cannot be resolved'));
      const fix = conditionBlocked && attached === false
        ? 'attach the certificate to the thing (see certificate-thing): the policy needs iot:Connection.Thing.IsAttached / the thing name'
        : policyAttachFailed
          ? `attach the pipeline's device policy (${policyRef}) to the certificate (see certificate-policy)`
          : allowFix;
      add(id, 'FAIL', title, `no statement in ${evaluatedWhat} allows ${action} on ${resource}${notes}`, fix);
    }
  };
  const arn = (kind: 'client' | 'topic', name: string | undefined) =>
    (name === undefined ? undefined : iotArn(f.stack!.partition, f.stack!.region, f.stack!.account, kind, name));
  evalCheck('policy-connect', `Policy allows iot:Connect as ${clientId ?? '?'}`, 'iot:Connect', arn('client', clientId),
    `connect with the thing name as client id, or allow iot:Connect on client/${clientId} in a policy attached to the certificate (the pipeline's device policy allows client/<thing name>)`);
  evalCheck('policy-publish', `Policy allows iot:Publish to ${deviceTopic ?? '?'}`, 'iot:Publish', arn('topic', deviceTopic),
    `allow iot:Publish on topic/${deviceTopic} in a policy attached to the certificate (the pipeline's device policy allows topic/${publishBase ?? '<topic>'} and topic/${publishBase ?? '<topic>'}/*)`);

  // rule ------------------------------------------------------------------------------------------------
  const ruleTitle = 'Topic rule exists and is enabled';
  const rule = f.rule?.ok ? f.rule.value : undefined;
  if (f.ruleName === undefined) {
    add('rule', 'FAIL', ruleTitle, 'no topic rule in the stack outputs (TopicRuleNameOutput) or resources', 'redeploy the stack');
  } else if (!f.rule?.ok) {
    add('rule', 'FAIL', ruleTitle, f.rule?.notFound ? `rule ${f.ruleName} does not exist` : `rule ${f.ruleName}: ${f.rule?.error}`,
      f.rule?.notFound ? 'it was deleted outside CloudFormation: redeploy the stack' : 'allow iot:GetTopicRule');
  } else if (rule!.disabled) {
    add('rule', 'FAIL', ruleTitle, `rule ${f.ruleName} is disabled: messages are not forwarded`, `\`aws iot enable-topic-rule --rule-name ${f.ruleName}\``);
  } else {
    add('rule', 'PASS', ruleTitle, `rule ${f.ruleName} is enabled${rule!.hasErrorAction ? ' and has an error action' : ''}`);
  }
  const rtTitle = 'Rule FROM matches the device topic';
  if (!rule) {
    notChecked('rule-topic', rtTitle, 'no rule');
  } else {
    const parsed = parseRuleSql(rule.sql);
    if (!parsed) {
      add('rule-topic', 'FAIL', rtTitle, `cannot read the topic filter of "${rule.sql}"`, 'write the SQL as SELECT … FROM \'<topic filter>\' [WHERE …]');
    } else if (deviceTopic === undefined) {
      notChecked('rule-topic', rtTitle, 'topic or thing name unknown');
    } else if (ruleReceives(f.ruleName!, parsed.topicFilter, deviceTopic)) {
      add('rule-topic', 'PASS', rtTitle, `FROM '${parsed.topicFilter}' matches ${deviceTopic}${parsed.where ? ` (WHERE ${parsed.where} may still drop messages)` : ''}`);
    } else if (splitBasicIngest(deviceTopic) && splitBasicIngest(deviceTopic)!.ruleName !== f.ruleName) {
      add('rule-topic', 'FAIL', rtTitle, `devices publish with Basic Ingest to rule ${splitBasicIngest(deviceTopic)!.ruleName}, not to ${f.ruleName}`, 'redeploy the stack');
    } else {
      add('rule-topic', 'FAIL', rtTitle, `FROM '${parsed.topicFilter}' does not match ${deviceTopic}, the topic devices publish to`,
        `change the rule's SQL (the construct's \`sql\` prop) to a filter that matches, e.g. '${f.topic}/+', or publish to a topic it matches`);
    }
  }
  const raTitle = 'Rule forwards to the delivery stream';
  if (!rule) {
    notChecked('rule-action', raTitle, 'no rule');
  } else if (rule.firehoseStreams.length === 0) {
    add('rule-action', 'FAIL', raTitle, `rule ${f.ruleName} has no Firehose action`, 'redeploy the stack (the construct adds a Firehose action)');
  } else if (f.streamName !== undefined && !rule.firehoseStreams.includes(f.streamName)) {
    add('rule-action', 'FAIL', raTitle, `rule ${f.ruleName} forwards to ${rule.firehoseStreams.join(', ')}, not to the pipeline's stream ${f.streamName}`, 'redeploy the stack');
  } else {
    add('rule-action', 'PASS', raTitle, `rule ${f.ruleName} forwards to ${rule.firehoseStreams.join(', ')}`);
  }

  // stream ----------------------------------------------------------------------------------------------
  const sTitle = 'Delivery stream is ACTIVE';
  const stream = f.stream?.ok ? f.stream.value : undefined;
  if (f.streamName === undefined) {
    add('stream', 'FAIL', sTitle, 'no delivery stream in the stack outputs (DeliveryStreamNameOutput) or resources', 'redeploy the stack');
  } else if (!f.stream?.ok) {
    add('stream', 'FAIL', sTitle, f.stream?.notFound ? `delivery stream ${f.streamName} does not exist` : `delivery stream ${f.streamName}: ${f.stream?.error}`,
      f.stream?.notFound ? 'it was deleted outside CloudFormation: redeploy the stack' : 'allow firehose:DescribeDeliveryStream');
  } else if (stream!.status === 'ACTIVE') {
    add('stream', 'PASS', sTitle, `delivery stream ${f.streamName} is ACTIVE`);
  } else if (stream!.status === 'CREATING' || stream!.status === 'UPDATING') {
    add('stream', 'WARN', sTitle, `delivery stream ${f.streamName} is ${stream!.status}`, 'wait a few minutes and run doctor again');
  } else {
    add('stream', 'FAIL', sTitle, `delivery stream ${f.streamName} is ${stream!.status}${stream!.failure ? ` (${stream!.failure})` : ''}`,
      'fix the failure named (often the stream\'s role or KMS key), then redeploy');
  }

  // processing ---------------------------------------------------------------------------------------------
  const window = `the last ${f.windowMinutes} min`;
  const pTitle = 'Parser: no processing failures';
  {
    const parts: string[] = [];
    let status: Status = 'PASS';
    const worse = (s: Status) => { if (rank(s) > rank(status)) status = s; };
    const m = f.metrics?.ok ? f.metrics.value.processing : undefined;
    if (f.metrics && !f.metrics.ok) {
      worse('WARN');
      parts.push(`metrics unreadable: ${f.metrics.error}`);
    } else if (!m) {
      parts.push(`no ExecuteProcessing.Success data points in ${window}`);
    } else if (m.average === 0) {
      worse('FAIL');
      parts.push(`ExecuteProcessing.Success is 0 in ${window}: every parser invocation failed`);
    } else if (m.minimum < 1) {
      worse('WARN');
      parts.push(`ExecuteProcessing.Success averaged ${(m.average * 100).toFixed(1)}% (minimum ${(m.minimum * 100).toFixed(1)}%) in ${window}`);
    } else {
      parts.push(`ExecuteProcessing.Success 100% in ${window}`);
    }
    const objs = f.processingFailedObjects;
    if (objs && !objs.ok) {
      worse('WARN');
      parts.push(`error prefix unreadable: ${objs.error}`);
    } else if (objs?.ok && objs.value.count > 0) {
      worse('WARN');
      parts.push(`${objs.value.count} processing-failed object(s) in ${window}, newest s3://${objs.value.bucket}/${objs.value.newestKey}`);
    } else if (objs?.ok) {
      parts.push(`no processing-failed objects under s3://${objs.value.bucket}/${commonPrefix(objs.value.prefixes)}`);
    }
    add('processing', status, pTitle, parts.join('; '),
      `read a failed record (\`aws s3 cp s3://${f.parsedBucket}/<key> -\`; rawData is the base64 record, errorMessage the reason) and the parser's log group; fix the parser or the payloads`);
  }

  // delivery ----------------------------------------------------------------------------------------------
  {
    const dTitle = 'Delivery to S3 succeeds';
    const parts: string[] = [];
    let status: Status = 'PASS';
    const worse = (s: Status) => { if (rank(s) > rank(status)) status = s; };
    const m = f.metrics?.ok ? f.metrics.value.delivery : undefined;
    if (f.metrics && !f.metrics.ok) {
      worse('WARN');
      parts.push(`metrics unreadable: ${f.metrics.error}`);
    } else if (!m) {
      parts.push(`no DeliveryToS3.Success data points in ${window}`);
    } else if (m.average === 0) {
      worse('FAIL');
      parts.push(`DeliveryToS3.Success is 0 in ${window}: nothing reaches S3`);
    } else if (m.minimum < 1) {
      worse('WARN');
      parts.push(`DeliveryToS3.Success averaged ${(m.average * 100).toFixed(1)}% in ${window}`);
    } else {
      parts.push(`DeliveryToS3.Success 100% in ${window}`);
    }
    const logs = f.deliveryLogErrors;
    if (logs && !logs.ok) {
      worse('WARN');
      parts.push(logs.notFound ? `the stream's log group ${f.stream?.ok ? f.stream.value.logGroup : ''} does not exist` : `log group unreadable: ${logs.error}`);
    } else if (logs?.ok && logs.value.count > 0) {
      worse('WARN');
      parts.push(`${logs.value.count} error log event(s) in ${window}, latest: ${truncate(logs.value.latest ?? '', 300)}`);
    } else if (logs?.ok) {
      parts.push('no error log events');
    }
    add('delivery', status, dTitle, parts.join('; '),
      `read the delivery stream's log group${f.stream?.ok && f.stream.value.logGroup ? ` ${f.stream.value.logGroup}` : ''}; typical causes are the stream role's S3/KMS/Lambda permissions`);
  }

  // rule-errors --------------------------------------------------------------------------------------------
  {
    const title = 'Rule action: no errors';
    const objs = f.ruleErrorObjects;
    if (!objs) {
      notChecked('rule-errors', title, 'no raw bucket in the stack outputs (RawBucketOutput)');
    } else if (!objs.ok) {
      add('rule-errors', 'WARN', title, `cannot list s3://${f.rawBucket}: ${objs.error}`, 'allow s3:ListBucket on the raw bucket');
    } else if (objs.value.count > 0) {
      add('rule-errors', 'WARN', title,
        `${objs.value.count} IoT rule error message(s) in ${window}, newest s3://${objs.value.bucket}/${objs.value.newestKey}`,
        'read one: failures[].errorMessage names why the Firehose action failed (role permissions, stream not ACTIVE, throttling); base64OriginalPayload holds the message for replay');
    } else {
      add('rule-errors', 'PASS', title, `no rule error messages under s3://${objs.value.bucket}/${commonPrefix(objs.value.prefixes)} in ${window}`);
    }
  }

  // freshness ----------------------------------------------------------------------------------------------
  {
    const title = 'Fresh data arrives';
    const interval = stream?.bufferSeconds ?? 60;
    const limit = 2 * interval + 120;
    const fresh = f.metrics?.ok ? f.metrics.value.freshness : undefined;
    const objs = f.parsedObjects?.ok ? f.parsedObjects.value : undefined;
    const newest = objs?.newestTime
      ? `newest parsed object s3://${objs.bucket}/${objs.newestKey} is ${Math.max(0, Math.round((f.now.getTime() - objs.newestTime.getTime()) / 1000))} s old`
      : undefined;
    const publishHint = `publish test messages (\`cdk-iot-pipeline publish --stack ${f.stackName}\`), wait ${interval} s + processing, run doctor again`;
    if (fresh && fresh.maximum > limit) {
      add('freshness', 'WARN', title, `DeliveryToS3.DataFreshness reached ${Math.round(fresh.maximum)} s in ${window} (expected ≤ ${limit} s with a ${interval} s buffer)${newest ? `; ${newest}` : ''}`,
        'Firehose is falling behind: look at the delivery and processing findings, the parser duration and throttling');
    } else if (fresh || (objs && objs.count > 0)) {
      add('freshness', 'PASS', title, [fresh ? `DeliveryToS3.DataFreshness max ${Math.round(fresh.maximum)} s` : undefined, newest].filter(Boolean).join('; '));
    } else if (f.parsedObjects && !f.parsedObjects.ok) {
      add('freshness', 'WARN', title, `cannot list s3://${f.parsedBucket}: ${f.parsedObjects.error}`, 'allow s3:ListBucket on the parsed bucket');
    } else {
      add('freshness', 'WARN', title, `no data delivered in ${window} (no DataFreshness data points, no parsed objects)`, publishHint);
    }
  }
  return out;
}

function rank(s: Status): number {
  return s === 'PASS' ? 0 : s === 'WARN' ? 1 : 2;
}

/** The longest common prefix of the listed prefixes, cut back to a whole path level. */
function commonPrefix(prefixes: string[]): string {
  if (prefixes.length === 0) return '';
  let p = prefixes[0];
  for (const q of prefixes) while (!q.startsWith(p)) p = p.slice(0, -1);
  return p.slice(0, p.lastIndexOf('/') + 1);
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/** The report as text. */
export function formatDoctorReport(r: DoctorReport): string {
  const head = `doctor: stack ${r.stack}${r.region ? ` (${r.region})` : ''}${r.pipeline !== undefined ? `, pipeline ${r.pipeline || '(unnamed)'}` : ''}`
    + `${r.thingName ? `, thing ${r.thingName}` : ''}${r.topic ? `, topic ${r.topic}` : ''}`;
  const rows = r.findings.map((f) => [f.status, f.id, f.detail]);
  const lines = [head, '', renderTable(['Status', 'Check', 'Finding'], rows)];
  const fixes = r.findings.filter((f) => f.fix !== undefined);
  if (fixes.length > 0) {
    lines.push('', 'What to do:');
    for (const f of fixes) lines.push(`  ${f.status} ${f.id}: ${f.fix}`);
  }
  lines.push('', `${r.summary.pass} PASS, ${r.summary.warn} WARN, ${r.summary.fail} FAIL`);
  return lines.join('\n');
}
