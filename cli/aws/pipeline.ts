/**
 * Finding an `IotCoreFirehosePipeline` in a deployed stack: its outputs and its own resources, by the names the
 * contract (`src/contract/outputs.ts`, `certificate.ts`) gives them. Pure: reads what `stack.ts` fetched.
 */
import type { Output, StackResourceSummary } from '@aws-sdk/client-cloudformation';
import {
  CERTIFICATE_RESOURCE_TYPE, DATA_ENDPOINT_OUTPUT_ID, PIPELINE_CONSTRUCT_IDS, PIPELINE_OUTPUT_IDS, PipelineOutputName,
  THING_NAME_OUTPUT_DESCRIPTION,
} from '../../src/contract';
import { CliError, UsageError } from '../errors';

/** The outputs of one IotCoreFirehosePipeline in a stack. */
export type PipelineOutputs = {
  /** The logical-id prefix of the pipeline's construct path (e.g. `Pipeline`). */
  readonly prefix: string;
} & { readonly [name in PipelineOutputName]?: string };

/**
 * Finds the pipelines in a stack's outputs. CDK names a pipeline's outputs `<prefix><output id><hash>`,
 * where the prefix comes from the construct path (`Pipeline` for `new IotCoreFirehosePipeline(stack, 'Pipeline')`).
 * Where output ids were overridden, the one output with the thing-name description marks an unnamed pipeline.
 */
export function findPipelines(outputs: readonly Output[]): PipelineOutputs[] {
  const thingNameOutput = new RegExp(`^(.*?)${escapeRegExp(PIPELINE_OUTPUT_IDS.thingName)}(?:[0-9A-F]{8})?$`);
  const prefixes: string[] = [];
  for (const o of outputs) {
    const m = thingNameOutput.exec(o.OutputKey ?? '');
    if (m && !prefixes.includes(m[1])) prefixes.push(m[1]);
  }
  if (prefixes.length === 0) {
    const described = outputs.filter((o) => o.Description === THING_NAME_OUTPUT_DESCRIPTION);
    if (described.length === 1) {
      return [{ prefix: '', thingName: described[0].OutputValue, ...outputsFor('', outputs, prefixes) }];
    }
  }
  return prefixes.map((prefix) => ({ prefix, ...outputsFor(prefix, outputs, prefixes) }));
}

function outputsFor(prefix: string, outputs: readonly Output[], allPrefixes: readonly string[]): Partial<Record<PipelineOutputName, string>> {
  const result: Partial<Record<PipelineOutputName, string>> = {};
  for (const [name, id] of Object.entries(PIPELINE_OUTPUT_IDS) as Array<[PipelineOutputName, string]>) {
    const hit = outputs.find((o) => {
      const key = o.OutputKey ?? '';
      return key.startsWith(`${prefix}${id}`) && owner(key, allPrefixes) === prefix;
    });
    if (hit?.OutputValue !== undefined) result[name] = hit.OutputValue;
  }
  return result;
}

/** The longest pipeline prefix a logical id starts with ('' when none). */
export function owner(logicalId: string, prefixes: readonly string[]): string {
  return prefixes.filter((p) => logicalId.startsWith(p)).sort((a, b) => b.length - a.length)[0] ?? '';
}

/** Picks the pipeline the user means (`--pipeline`: its construct id, or the end of its path). */
export function selectPipeline(stackName: string, pipelines: readonly PipelineOutputs[], wanted?: string): PipelineOutputs {
  const names = pipelines.map((p) => p.prefix || '(unnamed)').join(', ');
  if (pipelines.length === 0) {
    throw new CliError(`Stack ${stackName} has no IotCoreFirehosePipeline outputs (no output id containing "${PIPELINE_OUTPUT_IDS.thingName}"). `
      + 'Is it the stack that holds the pipeline? Check --stack and --region.');
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
  const o = outputs.find((x) => x.OutputKey === DATA_ENDPOINT_OUTPUT_ID)
    ?? outputs.find((x) => (x.OutputKey ?? '').startsWith(DATA_ENDPOINT_OUTPUT_ID));
  return o?.OutputValue;
}

/** The stack resources of one pipeline, by type. */
export interface PipelineResources {
  readonly thingName?: string;
  readonly policyName?: string;
  readonly topicRuleName?: string;
  readonly deliveryStreamName?: string;
  /** Certificate id (physical id of AWS::IoT::Certificate or the generated-certificate custom resource). */
  readonly certificateId?: string;
  /** Where there were several candidates of a type, their logical ids. */
  readonly ambiguous: string[];
}

/** A kind of resource a pipeline owns: its CloudFormation types and its construct paths under the pipeline. */
interface ResourceKind {
  readonly field: keyof Omit<PipelineResources, 'ambiguous'>;
  readonly types: readonly string[];
  /** Construct paths (ids joined without separators, as CDK joins them into logical ids) of the pipeline's own one. */
  readonly paths: readonly string[];
}

const IDS = PIPELINE_CONSTRUCT_IDS;
const RESOURCE_KINDS: readonly ResourceKind[] = [
  { field: 'thingName', types: ['AWS::IoT::Thing'], paths: [`${IDS.device}${IDS.thing}`] },
  { field: 'policyName', types: ['AWS::IoT::Policy'], paths: [IDS.devicePolicy] },
  { field: 'topicRuleName', types: ['AWS::IoT::TopicRule'], paths: [IDS.topicRule] },
  { field: 'deliveryStreamName', types: ['AWS::KinesisFirehose::DeliveryStream'], paths: [IDS.deliveryStream, IDS.partitionedDeliveryStream] },
  { field: 'certificateId', types: ['AWS::IoT::Certificate', CERTIFICATE_RESOURCE_TYPE], paths: [`${IDS.device}${IDS.certificate}`] },
];

/**
 * Assigns stack resources to the pipeline whose prefix is the longest match of their logical id, and returns
 * the pipeline's physical names. Resources without a physical id are ignored. Where a pipeline has several of
 * a type (devices added with `addDevice`, the fleet policy), the one at the construct's own path
 * (`<prefix>DeviceThing<hash>`) wins.
 */
export function pipelineResources(resources: readonly StackResourceSummary[], prefix: string, allPrefixes: readonly string[]): PipelineResources {
  const mine = resources.filter((r) => r.LogicalResourceId && r.PhysicalResourceId
    && r.LogicalResourceId.startsWith(prefix) && owner(r.LogicalResourceId, allPrefixes) === prefix);
  const result: { -readonly [K in ResourceKind['field']]?: string } = {};
  const ambiguous: string[] = [];
  for (const kind of RESOURCE_KINDS) {
    let candidates = mine.filter((r) => kind.types.includes(r.ResourceType ?? ''));
    if (candidates.length > 1) {
      const own = new RegExp(`^${escapeRegExp(prefix)}(?:${kind.paths.map(escapeRegExp).join('|')})[0-9A-F]{8}$`);
      const preferred = candidates.filter((r) => own.test(r.LogicalResourceId ?? ''));
      if (preferred.length === 1) candidates = preferred;
    }
    if (candidates.length === 1) {
      result[kind.field] = candidates[0].PhysicalResourceId;
    } else if (candidates.length > 1) {
      ambiguous.push(...candidates.map((c) => c.LogicalResourceId ?? ''));
    }
  }
  return { ...result, ambiguous };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
