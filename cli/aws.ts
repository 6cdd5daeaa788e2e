import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand, Output, StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { IoTClient } from '@aws-sdk/client-iot';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CliError, UsageError } from './errors';

/** How to reach AWS. */
export interface AwsOptions {
  readonly region?: string;
  readonly profile?: string;
  /** One endpoint for every service (e.g. a moto server). */
  readonly endpointUrl?: string;
}

/** The SDK clients the CLI uses, created on first use. */
export class AwsClients {
  private readonly cache = new Map<string, unknown>();
  constructor(public readonly options: AwsOptions = {}) {}

  public get cloudFormation(): CloudFormationClient { return this.client('cfn', (c) => new CloudFormationClient(c)); }
  public get iot(): IoTClient { return this.client('iot', (c) => new IoTClient(c)); }
  public get firehose(): FirehoseClient { return this.client('firehose', (c) => new FirehoseClient(c)); }
  public get cloudWatch(): CloudWatchClient { return this.client('cw', (c) => new CloudWatchClient(c)); }
  public get logs(): CloudWatchLogsClient { return this.client('logs', (c) => new CloudWatchLogsClient(c)); }
  public get s3(): S3Client { return this.client('s3', (c) => new S3Client({ ...c, forcePathStyle: this.options.endpointUrl !== undefined })); }
  public get secrets(): SecretsManagerClient { return this.client('sm', (c) => new SecretsManagerClient(c)); }

  /** Closes the clients' connections. */
  public destroy(): void {
    for (const c of this.cache.values()) (c as { destroy(): void }).destroy();
    this.cache.clear();
  }

  private client<T>(key: string, create: (config: ClientConfig) => T): T {
    if (!this.cache.has(key)) {
      this.cache.set(key, create({
        ...(this.options.region ? { region: this.options.region } : {}),
        ...(this.options.profile ? { profile: this.options.profile } : {}),
        ...(this.options.endpointUrl ? { endpoint: this.options.endpointUrl } : {}),
        maxAttempts: 3,
      }));
    }
    return this.cache.get(key) as T;
  }
}

interface ClientConfig {
  region?: string;
  profile?: string;
  endpoint?: string;
  maxAttempts?: number;
}

/**
 * Turns SDK errors that are about the caller's setup (region, credentials, access) into messages that say
 * what to do. Other errors pass through.
 */
export function explainAwsError(e: unknown, what: string): Error {
  const err = e as { name?: string; message?: string; Code?: string };
  const name = err.name ?? err.Code ?? '';
  const message = err.message ?? String(e);
  if (/region is missing/i.test(message)) {
    return new UsageError(`${what}: no AWS Region. Pass --region (e.g. --region eu-west-1) or set AWS_REGION.`);
  }
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new CliError(`${what}: no AWS credentials. Set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run "aws sso login".`);
  }
  if (/AccessDenied|UnauthorizedOperation|not authorized/i.test(`${name} ${message}`)) {
    return new CliError(`${what}: access denied (${message}). Use credentials that may call this API.`);
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(message)) {
    return new CliError(`${what}: cannot reach the AWS endpoint (${message}). Check --endpoint-url / your network.`);
  }
  return e instanceof Error ? e : new Error(message);
}

/** A stack as the CLI needs it. */
export interface StackInfo {
  readonly stackName: string;
  readonly stackId: string;
  readonly status: string;
  readonly outputs: Output[];
  /** From the stack ARN. */
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** Reads a stack; undefined when it does not exist. */
export async function describeStack(clients: AwsClients, stackName: string): Promise<StackInfo | undefined> {
  let stack;
  try {
    stack = (await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  } catch (e) {
    if (/does not exist/i.test((e as Error).message ?? '')) return undefined;
    throw explainAwsError(e, `Reading stack ${stackName}`);
  }
  if (!stack?.StackId) return undefined;
  const arn = stack.StackId.split(':');
  return {
    stackName: stack.StackName ?? stackName,
    stackId: stack.StackId,
    status: stack.StackStatus ?? 'UNKNOWN',
    outputs: stack.Outputs ?? [],
    partition: arn[1] ?? 'aws',
    region: arn[3] ?? '',
    account: arn[4] ?? '',
  };
}

/** All resources of a stack. */
export async function listStackResources(clients: AwsClients, stackName: string): Promise<StackResourceSummary[]> {
  const out: StackResourceSummary[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await clients.cloudFormation.send(new ListStackResourcesCommand({ StackName: stackName, NextToken: token }));
      out.push(...(page.StackResourceSummaries ?? []));
      token = page.NextToken;
    } while (token);
  } catch (e) {
    throw explainAwsError(e, `Listing the resources of stack ${stackName}`);
  }
  return out;
}

/** The outputs of one IotCoreFirehosePipeline in a stack. */
export interface PipelineOutputs {
  /** The logical-id prefix of the pipeline's construct path (e.g. `Pipeline`). */
  readonly prefix: string;
  readonly thingName?: string;
  readonly topic?: string;
  /** The topic prefix devices publish under (`$aws/rules/<rule>/<topic>` with Basic Ingest). */
  readonly publishTopic?: string;
  readonly deliveryStreamName?: string;
  readonly parsedBucket?: string;
  readonly rawBucket?: string;
  readonly topicRuleName?: string;
  readonly certificateSecretArn?: string;
}

const OUTPUT_SUFFIXES: Record<Exclude<keyof PipelineOutputs, 'prefix'>, string> = {
  thingName: 'ThingNameOutput',
  topic: 'TopicOutput',
  publishTopic: 'PublishTopicOutput',
  deliveryStreamName: 'DeliveryStreamNameOutput',
  parsedBucket: 'ParsedBucketOutput',
  rawBucket: 'RawBucketOutput',
  topicRuleName: 'TopicRuleNameOutput',
  certificateSecretArn: 'CertificateSecretArnOutput',
};

/** The description the construct gives its thing-name output (used when output ids were overridden). */
const THING_NAME_DESCRIPTION = 'Thing name = MQTT client id';

/**
 * Finds the pipelines in a stack's outputs. CDK names a pipeline's outputs `<prefix><Name>Output<hash>`,
 * where the prefix comes from the construct path (`Pipeline` for `new IotCoreFirehosePipeline(stack, 'Pipeline')`).
 */
export function findPipelines(outputs: readonly Output[]): PipelineOutputs[] {
  const prefixes: string[] = [];
  for (const o of outputs) {
    const m = /^(.*?)ThingNameOutput(?:[0-9A-F]{8})?$/.exec(o.OutputKey ?? '');
    if (m && !prefixes.includes(m[1])) prefixes.push(m[1]);
  }
  if (prefixes.length === 0) {
    const described = outputs.filter((o) => o.Description === THING_NAME_DESCRIPTION);
    if (described.length === 1) {
      return [{ prefix: '', thingName: described[0].OutputValue, ...outputsFor('', outputs, prefixes) }];
    }
  }
  return prefixes.map((prefix) => ({ prefix, ...outputsFor(prefix, outputs, prefixes) }));
}

function outputsFor(prefix: string, outputs: readonly Output[], allPrefixes: readonly string[]): Omit<PipelineOutputs, 'prefix'> {
  const result: Record<string, string> = {};
  for (const [field, suffix] of Object.entries(OUTPUT_SUFFIXES)) {
    const hit = outputs.find((o) => {
      const key = o.OutputKey ?? '';
      return key.startsWith(`${prefix}${suffix}`) && owner(key, allPrefixes) === prefix;
    });
    if (hit?.OutputValue !== undefined) result[field] = hit.OutputValue;
  }
  return result;
}

/** The longest pipeline prefix a logical id starts with ('' when none). */
export function owner(logicalId: string, prefixes: readonly string[]): string {
  return prefixes.filter((p) => logicalId.startsWith(p)).sort((a, b) => b.length - a.length)[0] ?? '';
}

/** Picks the pipeline the user means. */
export function selectPipeline(stackName: string, pipelines: readonly PipelineOutputs[], wanted?: string): PipelineOutputs {
  const names = pipelines.map((p) => p.prefix || '(unnamed)').join(', ');
  if (pipelines.length === 0) {
    throw new CliError(`Stack ${stackName} has no IotCoreFirehosePipeline outputs (no output id containing "ThingNameOutput"). Is it the stack that holds the pipeline? Check --stack and --region.`);
  }
  if (wanted === undefined) {
    if (pipelines.length > 1) {
      throw new UsageError(`Stack ${stackName} holds ${pipelines.length} pipelines (${names}); pass --pipeline <one of them>.`);
    }
    return pipelines[0];
  }
  const exact = pipelines.find((p) => p.prefix === wanted);
  if (exact) return exact;
  const suffix = pipelines.filter((p) => p.prefix.endsWith(wanted));
  if (suffix.length === 1) return suffix[0];
  throw new UsageError(`Stack ${stackName} has no pipeline "${wanted}"; it holds: ${names}.`);
}

/** The stack output with the account's IoT data endpoint. */
export function dataEndpointOutput(outputs: readonly Output[]): string | undefined {
  const o = outputs.find((x) => x.OutputKey === 'IotDataAtsEndpoint')
    ?? outputs.find((x) => /^IotDataAtsEndpoint/.test(x.OutputKey ?? ''));
  return o?.OutputValue;
}

/** The stack resources of one pipeline, by type. */
export interface PipelineResources {
  readonly thingName?: string;
  readonly policyName?: string;
  readonly topicRuleName?: string;
  readonly deliveryStreamName?: string;
  /** Certificate id (physical id of AWS::IoT::Certificate or Custom::IotDeviceCertificate). */
  readonly certificateId?: string;
  /** Where there were several candidates of a type, their logical ids. */
  readonly ambiguous: string[];
}

/** Field, resource types, and the construct path (under the pipeline) of the pipeline's own resource. */
const RESOURCE_TYPES: Array<[keyof Omit<PipelineResources, 'ambiguous'>, string[], string]> = [
  ['thingName', ['AWS::IoT::Thing'], 'DeviceThing'],
  ['policyName', ['AWS::IoT::Policy'], 'DevicePolicy'],
  ['topicRuleName', ['AWS::IoT::TopicRule'], 'TopicRule'],
  ['deliveryStreamName', ['AWS::KinesisFirehose::DeliveryStream'], 'DeliveryStream'],
  ['certificateId', ['AWS::IoT::Certificate', 'Custom::IotDeviceCertificate'], 'DeviceCertificate'],
];

/**
 * Assigns stack resources to the pipeline whose prefix is the longest match of their logical id, and returns
 * the pipeline's physical names. Resources without a physical id are ignored. Where a pipeline has several of
 * a type (devices added with `addDevice`), the one at the construct's own path (`<prefix>DeviceThing…`) wins.
 */
export function pipelineResources(resources: readonly StackResourceSummary[], prefix: string, allPrefixes: readonly string[]): PipelineResources {
  const mine = resources.filter((r) => r.LogicalResourceId && r.PhysicalResourceId
    && r.LogicalResourceId.startsWith(prefix) && owner(r.LogicalResourceId, allPrefixes) === prefix);
  const result: Record<string, string> = {};
  const ambiguous: string[] = [];
  for (const [field, types, path] of RESOURCE_TYPES) {
    let candidates = mine.filter((r) => types.includes(r.ResourceType ?? ''));
    if (candidates.length > 1) {
      const own = new RegExp(`^${escapeRegExp(prefix)}${path}[0-9A-F]{8}$`);
      const preferred = candidates.filter((r) => own.test(r.LogicalResourceId!));
      if (preferred.length === 1) candidates = preferred;
    }
    if (candidates.length === 1) {
      result[field] = candidates[0].PhysicalResourceId!;
    } else if (candidates.length > 1) {
      ambiguous.push(...candidates.map((c) => c.LogicalResourceId!));
    }
  }
  return { ...result, ambiguous };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
