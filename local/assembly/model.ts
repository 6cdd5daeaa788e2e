/**
 * The local model of the synthesized pipeline(s): what the runner needs from the templates, resolved to local
 * names. Everything the runner cannot run faithfully fails here, at start, naming the resource and its construct
 * path; what it merely does not model (alarms, log groups, roles, ...) is ignored.
 *
 * Each AWS service has its loader in loaders/ (typed CloudFormation properties in, a model record out); this file
 * declares the model and reads the stacks in the order the records depend on each other: buckets, things,
 * policies, attachments, functions, Glue tables, delivery streams (their processor and schema), topic rules, fleet
 * provisioning templates (their claim policy and hook), bucket deployments (the files the runner copies at start).
 */
import { readAssembly, selectStacks, StackArtifact } from './cloud-assembly';
import { loadDeliveryStream, StreamModel } from './loaders/firehose';
import type { CfnDeliveryStreamProperties } from './loaders/firehose';
import { loadGlueTable } from './loaders/glue';
import type { CfnGlueTableProperties } from './loaders/glue';
import { AttachmentModel, loadPolicy, loadPolicyPrincipalAttachment, loadThing, loadThingPrincipalAttachment, loadTopicRule, PolicyModel, RuleModel, ThingModel } from './loaders/iot';
import type {
  CfnPolicyPrincipalAttachmentProperties, CfnPolicyProperties, CfnThingPrincipalAttachmentProperties, CfnThingProperties, CfnTopicRuleProperties,
} from './loaders/iot';
import { loadProvisioningTemplate, ProvisioningTemplateModel } from './loaders/iot-provisioning';
import type { CfnProvisioningTemplateProperties } from './loaders/iot-provisioning';
import { FunctionModel, loadFunction } from './loaders/lambda';
import type { CfnFunctionProperties } from './loaders/lambda';
import { loadBucket } from './loaders/s3';
import type { CfnBucketProperties } from './loaders/s3';
import { BucketDeploymentModel, loadBucketDeployment } from './loaders/s3-deployment';
import type { CfnBucketDeploymentProperties } from './loaders/s3-deployment';
import { BucketRef, StackReader } from './stack-reader';
import type { TableModel } from './table';
import { LOCAL_ACCOUNT } from '../../src/contract';

export type { BucketRef } from './stack-reader';
export type { ActionModel, PolicyModel, RuleModel, ThingModel } from './loaders/iot';
export type { BufferingModel, ConversionModel, ProcessorModel, S3TargetModel, StreamModel } from './loaders/firehose';
export type { FunctionModel, InlineCode } from './loaders/lambda';
export type { ProvisioningTemplateModel } from './loaders/iot-provisioning';
export type { BucketDeploymentModel, DeploymentSource } from './loaders/s3-deployment';

export interface LocalModel {
  readonly stacks: string[];
  readonly region: string;
  readonly account: string;
  readonly things: Map<string, ThingModel>;
  readonly policies: Map<string, PolicyModel>;
  /** Thing name → policy names attached to the certificates attached to the thing. */
  readonly thingPolicies: Map<string, string[]>;
  readonly rules: RuleModel[];
  /** Fleet provisioning templates (FLEET_PROVISIONING type) by template name; always set by `loadModel`. */
  readonly provisioningTemplates?: Map<string, ProvisioningTemplateModel>;
  readonly streams: Map<string, StreamModel>;
  /** Functions by ARN; inline code (`inlineCode`) is not on disk yet: the runner writes it before it runs them. */
  readonly functions: Map<string, FunctionModel>;
  readonly buckets: Map<string, BucketRef>;
  /** The stacks' BucketDeployments (`Custom::CDKBucketDeployment`), copied into their buckets at start; always set by `loadModel`. */
  readonly deployments?: BucketDeploymentModel[];
  /** Glue tables by `<database>.<table>` (lowercase, as queries name them); always set by `loadModel`. */
  readonly tables?: Map<string, TableModel>;
  /** Resolved stack outputs (`<stack>.<output>` → value), when resolvable. */
  readonly outputs: Record<string, string>;
  readonly warnings: string[];
}

export interface LoadOptions {
  readonly app: string;
  readonly stack?: string;
  /** Overrides every buffering and processor interval (ms). */
  readonly bufferIntervalMs?: number;
  /** Buckets are on an S3-compatible endpoint: unnamed buckets get lowercase names (see endpointBucketName). */
  readonly endpointBucketNames?: boolean;
}

/** Reads the assembly and builds the model; throws AssemblyError with what to fix. */
export function loadModel(options: LoadOptions): LocalModel {
  const stacks = selectStacks(readAssembly(options.app), options.stack);
  const claimedNames = new Map<string, string>();
  const model: LocalModel = {
    stacks: stacks.map((s) => s.displayName),
    region: stacks[0].region,
    account: LOCAL_ACCOUNT,
    things: new Map(),
    policies: new Map(),
    thingPolicies: new Map(),
    rules: [],
    provisioningTemplates: new Map(),
    streams: new Map(),
    functions: new Map(),
    buckets: new Map(),
    deployments: [],
    tables: new Map(),
    outputs: {},
    warnings: [],
  };
  for (const artifact of stacks) {
    const stack = new StackReader(artifact, {
      endpointBucketNames: options.endpointBucketNames, claimedNames, buckets: model.buckets, warnings: model.warnings,
    });
    loadStack(stack, model, options);
  }
  return model;
}

/** `Properties` of a resource, typed as its loader reads them (values may still be intrinsics). */
function propertiesOf<T>(stack: StackReader, id: string): T {
  return (stack.resources[id].Properties ?? {}) as T;
}

function loadStack(stack: StackReader, model: LocalModel, options: LoadOptions): void {
  for (const [id] of stack.resourcesOf('AWS::S3::Bucket')) {
    const bucket = loadBucket(stack, id, propertiesOf<CfnBucketProperties>(stack, id));
    model.buckets.set(bucket.name, bucket);
  }

  for (const [id] of stack.resourcesOf('AWS::IoT::Thing')) {
    const thing = loadThing(stack, id, propertiesOf<CfnThingProperties>(stack, id));
    const other = model.things.get(thing.name);
    if (other) stack.fail(id, `thing name "${thing.name}" is also used by ${other.path}`);
    model.things.set(thing.name, thing);
  }

  // A policy without a PolicyName is named by its logical id locally, and two stacks with the same construct paths
  // have the same ids (CloudFormation would give each a unique name): a later stack's policy is then kept under
  // `<stack>:<name>`, and its attachments point there.
  const policyKeys = new Map<string, string>();
  for (const [id] of stack.resourcesOf('AWS::IoT::Policy')) {
    const props = propertiesOf<CfnPolicyProperties>(stack, id);
    const policy = loadPolicy(stack, id, props);
    const key = model.policies.has(policy.name) && props.PolicyName === undefined ? `${stack.name}:${policy.name}` : policy.name;
    policyKeys.set(policy.name, key);
    model.policies.set(key, policy);
  }

  // attachments: principal (certificate ARN) → things and policies
  const thingAttachments = stack.resourcesOf('AWS::IoT::ThingPrincipalAttachment')
    .map(([id]) => loadThingPrincipalAttachment(stack, id, propertiesOf<CfnThingPrincipalAttachmentProperties>(stack, id)));
  const policyAttachments = stack.resourcesOf('AWS::IoT::PolicyPrincipalAttachment')
    .map(([id]) => loadPolicyPrincipalAttachment(stack, id, propertiesOf<CfnPolicyPrincipalAttachmentProperties>(stack, id)));
  attachPolicies(model, byPrincipal(thingAttachments), byPrincipal(policyAttachments), policyKeys);

  for (const [id, res] of stack.resourcesOf('AWS::Lambda::Function')) {
    const fn = stack.attempt(id, 'function', () => loadFunction(stack, id, propertiesOf<CfnFunctionProperties>(stack, id), res.Metadata));
    if (fn) model.functions.set(fn.arn, fn);
  }

  const tables = model.tables ?? new Map<string, TableModel>();
  loadTables(stack, tables);

  for (const [id] of stack.resourcesOf('AWS::KinesisFirehose::DeliveryStream')) {
    // Resolved as a whole (its loader reads plain values); an unresolvable value fails the stream.
    const stream = stack.attempt(id, 'delivery stream', () => {
      const props = stack.resolve(propertiesOf<unknown>(stack, id)) as CfnDeliveryStreamProperties;
      return loadDeliveryStream(stack, id, props, { bufferIntervalMs: options.bufferIntervalMs, tables });
    });
    if (stream.processor && !model.functions.has(stream.processor.functionArn)) {
      stack.fail(id, `its processor invokes ${stream.processor.functionArn}, which is not a function of the stack(s) being run`);
    }
    model.streams.set(stream.name, stream);
  }

  for (const [id] of stack.resourcesOf('AWS::IoT::TopicRule')) {
    const props = propertiesOf<CfnTopicRuleProperties>(stack, id);
    model.rules.push(stack.attempt(id, 'topic rule', () => loadTopicRule(stack, id, props)));
  }

  for (const [id] of stack.resourcesOf('AWS::IoT::ProvisioningTemplate')) {
    const props = propertiesOf<CfnProvisioningTemplateProperties>(stack, id);
    const template = loadProvisioningTemplate(stack, id, props, model);
    if (!template) continue;
    const templates = model.provisioningTemplates!;
    const other = templates.get(template.name);
    if (other) stack.fail(id, `template name "${template.name}" is also used by ${other.path}`);
    templates.set(template.name, template);
  }

  for (const [id] of stack.resourcesOf('Custom::CDKBucketDeployment')) {
    const props = propertiesOf<CfnBucketDeploymentProperties>(stack, id);
    model.deployments!.push(stack.attempt(id, 'bucket deployment', () => loadBucketDeployment(stack, id, props)));
  }

  // outputs (best effort)
  for (const [name, output] of Object.entries(stack.stack.template.Outputs ?? {})) {
    try {
      model.outputs[`${stack.name}.${name}`] = stack.resolveString(output.Value, name);
    } catch {
      // not resolvable locally (e.g. the data endpoint lookup); the runner fills in what it knows
    }
  }
}

function byPrincipal(attachments: AttachmentModel[]): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  for (const { principal, target } of attachments) {
    if (!map.has(principal)) map.set(principal, new Set());
    map.get(principal)!.add(target);
  }
  return map;
}

/** Thing → the policies attached to the certificates attached to it. */
function attachPolicies(
  model: LocalModel, principalThings: Map<string, Set<string>>, principalPolicies: Map<string, Set<string>>, policyKeys: Map<string, string>,
): void {
  for (const [principal, things] of principalThings) {
    for (const thing of things) {
      const list = model.thingPolicies.get(thing) ?? [];
      for (const name of principalPolicies.get(principal) ?? []) {
        const policy = policyKeys.get(name) ?? name;
        if (!list.includes(policy)) list.push(policy);
      }
      model.thingPolicies.set(thing, list);
    }
  }
}

/** The Glue tables of a stack by `<database>.<table>`; two tables with one name in the stacks being run fail. */
function loadTables(stack: StackReader, tables: Map<string, TableModel>): void {
  for (const [id] of stack.resourcesOf('AWS::Glue::Table')) {
    const table = stack.attempt(id, 'Glue table', () => loadGlueTable(stack, id, propertiesOf<CfnGlueTableProperties>(stack, id)));
    const other = tables.get(table.qualifiedName);
    if (other) stack.fail(id, `Glue table ${table.qualifiedName} is also defined by ${other.path} (stack ${other.stack})`);
    tables.set(table.qualifiedName, table);
  }
}

export interface LoadTablesOptions {
  readonly app: string;
  readonly stack?: string;
}

/**
 * Only the Glue tables of the assembly and the buckets they are in (what `cdk-iot-pipeline query --app` needs):
 * no function, stream or rule is read.
 */
export function loadTableModels(options: LoadTablesOptions): Map<string, TableModel> {
  const tables = new Map<string, TableModel>();
  const claimedNames = new Map<string, string>();
  for (const artifact of selectStacks(readAssembly(options.app), options.stack)) {
    // Bucket folders are named as the runner names them (the same stacks in the same order: the same names); a
    // table names a bucket of its own stack or an imported one.
    const stack = tableReader(artifact, claimedNames);
    loadTables(stack, tables);
  }
  return tables;
}

function tableReader(artifact: StackArtifact, claimedNames: Map<string, string>): StackReader {
  const buckets = new Map<string, BucketRef>();
  const stack = new StackReader(artifact, { claimedNames, buckets, warnings: [] });
  for (const [id] of stack.resourcesOf('AWS::S3::Bucket')) {
    const bucket = loadBucket(stack, id, propertiesOf<CfnBucketProperties>(stack, id));
    buckets.set(bucket.name, bucket);
  }
  return stack;
}
