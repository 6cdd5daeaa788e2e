/**
 * What `doctor` knows about a deployed pipeline: everything the checks look at, read from AWS by `gather.ts` and
 * evaluated by the checks (`checks/`), which are pure functions of these facts.
 */
import type { NamedPolicy } from '../../local/iot/policy';

/** A value read from AWS, or why it could not be read. */
export type Read<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly notFound: boolean; readonly error: string };

/** Everything the checks look at. */
export interface DoctorFacts {
  readonly stackName: string;
  /** How far back to look for failures and fresh data. */
  readonly windowMinutes: number;
  readonly now: Date;
  /** Undefined: the stack does not exist. */
  readonly stack?: StackFacts;
  /** Why no pipeline was found in the stack outputs. */
  readonly pipelineProblem?: string;
  readonly pipelinePrefix?: string;
  readonly thingName?: string;
  readonly topic?: string;
  /** The topic prefix devices publish under (PublishTopicOutput; `$aws/rules/<rule>/<topic>` with Basic Ingest). */
  readonly publishTopic?: string;
  /** The client id devices connect with, when given (`--client-id`). */
  readonly clientId?: string;
  /** The topic a device publishes to, when given (`--topic`); else `<publish topic>/<thing name>`. */
  readonly deviceTopic?: string;
  readonly policyName?: string;
  readonly ruleName?: string;
  readonly streamName?: string;
  readonly parsedBucket?: string;
  readonly rawBucket?: string;
  readonly thing?: Read<true>;
  readonly certificate?: CertificateFacts;
  /** Why no certificate could be found. */
  readonly certificateProblem?: string;
  readonly attachedPolicies?: Read<NamedPolicy[]>;
  readonly pipelinePolicy?: Read<NamedPolicy>;
  readonly thingPrincipals?: Read<string[]>;
  readonly rule?: Read<RuleFacts>;
  readonly stream?: Read<StreamFacts>;
  readonly metrics?: Read<MetricFacts>;
  readonly processingFailedObjects?: Read<ObjectStats>;
  readonly ruleErrorObjects?: Read<ObjectStats>;
  readonly parsedObjects?: Read<ObjectStats>;
  readonly deliveryLogErrors?: Read<LogErrorStats>;
  /** Set by the local doctor (`--app` with `--data-dir`): what the local runner's data dir holds. */
  readonly local?: LocalFacts;
  /** The stack's fleets (fleet provisioning templates, found by their outputs); undefined or empty: none. */
  readonly fleets?: readonly FleetFacts[];
}

/** What the local runner's data dir says about the pipeline. */
export interface LocalFacts {
  readonly dataDir: string;
  /** The certificates `local certs` issued for the pipeline's thing, oldest first. */
  readonly certificates: ReadonlyArray<{ readonly id: string; readonly status: string; readonly issuedAt: string }>;
  /** The records the stream wrote under its processing-failed error prefix. */
  readonly processingFailed: { readonly bucketDir: string; readonly count: number; readonly newestFile?: string };
  /**
   * The messages the pipeline's rule could not process (a payload that is not a JSON object into its JSON rule), per
   * topic, from the runner's `<data-dir>/unprocessable.json`; undefined when the runner wrote none.
   */
  readonly unprocessable?: {
    readonly total: number;
    readonly topics: ReadonlyArray<{ readonly topic: string; readonly count: number }>;
    readonly fix: string;
  };
  /** The parser's log (`<data-dir>/logs/<function>.log`) and the newest reasons it gave for failed records. */
  readonly parserLog?: { readonly path: string; readonly exists: boolean; readonly reasons: readonly string[] };
}

/** One fleet provisioning template of the stack, and what AWS says about it (gathered by fleet.ts). */
export interface FleetFacts {
  readonly templateName: string;
  /** DescribeProvisioningTemplate. */
  readonly template: Read<{ readonly enabled: boolean; readonly hookArn?: string }>;
  /** The claim certificate (id from the claim secret's tag) and its status; undefined with `claimProblem`. */
  readonly claimCertificate?: Read<{ readonly id: string; readonly status: string }>;
  readonly claimProblem?: string;
  /** The stack grants iot.amazonaws.com lambda:InvokeFunction on the hook (its AWS::Lambda::Permission resources). */
  readonly hookPermitted?: Read<boolean>;
}

/** The name of a fact (what a check declares it reads). */
export type FactName = keyof DoctorFacts;

/** The stack, from DescribeStacks (partition, Region and account from its ARN). */
export interface StackFacts {
  readonly status: string;
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** The device certificate: where it was found, and what DescribeCertificate said. */
export interface CertificateFacts {
  /** `stack resource`, `certificate secret` or `thing principal`. */
  readonly source: string;
  readonly id?: string;
  readonly arn?: string;
  readonly read?: Read<{ readonly status: string }>;
}

/** What GetTopicRule says. */
export interface RuleFacts {
  readonly sql: string;
  readonly disabled: boolean;
  readonly firehoseStreams: string[];
  readonly hasErrorAction: boolean;
}

/** What DescribeDeliveryStream says. */
export interface StreamFacts {
  readonly status: string;
  readonly failure?: string;
  readonly bucket?: string;
  readonly prefix?: string;
  readonly errorPrefix?: string;
  /** Dynamic partitioning is on (Firehose appends no timestamp to its prefixes then). */
  readonly dynamicPartitioning?: boolean;
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

/** Error events in the delivery stream's log group within the window. */
export interface LogErrorStats {
  readonly count: number;
  readonly latest?: string;
}

/** Whether the stack exists and holds the pipeline: without it, only the stack check has anything to say. */
export function pipelineFound(facts: DoctorFacts): boolean {
  return facts.stack !== undefined && facts.pipelineProblem === undefined;
}
