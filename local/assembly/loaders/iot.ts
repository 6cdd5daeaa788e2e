/**
 * AWS IoT resources: things (`AWS::IoT::Thing`), policies (`AWS::IoT::Policy`), the attachments of a certificate to
 * things and policies (`AWS::IoT::ThingPrincipalAttachment`, `AWS::IoT::PolicyPrincipalAttachment`) and topic rules
 * (`AWS::IoT::TopicRule`) with their Firehose and S3 actions.
 */
import { IOT_SQL_VERSION } from '../../../src/contract';
import { parsePolicyDocument } from '../../iot/policy';
import type { PolicyDocument } from '../../iot/policy';
import { compileSql, compileTemplate, SqlError, SqlStatement, SubstitutionTemplate } from '../../iot/sql';
import { BucketRef, readBoolean, StackReader } from '../stack-reader';

export interface ThingModel {
  readonly name: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly path: string;
}

export interface PolicyModel {
  readonly name: string;
  readonly document: PolicyDocument;
  readonly path: string;
}

export type ActionModel =
  | { readonly kind: 'firehose'; readonly streamName: string; readonly separator?: string; readonly batchMode: boolean }
  | { readonly kind: 's3'; readonly bucket: BucketRef; readonly key: SubstitutionTemplate }
  | { readonly kind: 'unsupported'; readonly type: string };

export interface RuleModel {
  readonly name: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly path: string;
  readonly sql: SqlStatement;
  readonly disabled: boolean;
  readonly actions: ActionModel[];
  readonly errorAction?: ActionModel;
}

/** An attachment of a principal (certificate ARN) to a thing or a policy. */
export interface AttachmentModel {
  readonly principal: string;
  /** The thing name or the policy name. */
  readonly target: string;
}

/** The properties the runner reads (values may still be intrinsics); a thing's name is its `Ref` (ThingName). */
export interface CfnThingProperties {
  readonly ThingName?: unknown;
}

export interface CfnPolicyProperties {
  readonly PolicyName?: unknown;
  readonly PolicyDocument?: unknown;
}

export interface CfnThingPrincipalAttachmentProperties {
  readonly Principal?: unknown;
  readonly ThingName?: unknown;
}

export interface CfnPolicyPrincipalAttachmentProperties {
  readonly Principal?: unknown;
  readonly PolicyName?: unknown;
}

export interface CfnTopicRuleProperties {
  readonly TopicRulePayload?: {
    readonly Sql?: unknown;
    readonly AwsIotSqlVersion?: unknown;
    readonly RuleDisabled?: unknown;
    readonly Actions?: unknown[];
    readonly ErrorAction?: unknown;
  };
}

export function loadThing(stack: StackReader, id: string, _props: CfnThingProperties): ThingModel {
  return { name: stack.physicalName(id), stack: stack.name, logicalId: id, path: stack.pathOf(id) };
}

/** The policy, its document parsed (a document the runner cannot evaluate fails, naming the policy). */
export function loadPolicy(stack: StackReader, id: string, props: CfnPolicyProperties): PolicyModel {
  const name = stack.physicalName(id);
  const document = stack.attempt(id, 'PolicyDocument', () => stack.resolve(props.PolicyDocument));
  let parsed: PolicyDocument;
  try {
    parsed = parsePolicyDocument(typeof document === 'string' ? document : (document as PolicyDocument), name);
  } catch (e) {
    return stack.fail(id, (e as Error).message);
  }
  return { name, document: parsed, path: stack.pathOf(id) };
}

export function loadThingPrincipalAttachment(stack: StackReader, id: string, props: CfnThingPrincipalAttachmentProperties): AttachmentModel {
  return {
    principal: stack.attempt(id, 'Principal', () => stack.resolveString(props.Principal, 'Principal')),
    target: stack.attempt(id, 'ThingName', () => stack.resolveString(props.ThingName, 'ThingName')),
  };
}

export function loadPolicyPrincipalAttachment(stack: StackReader, id: string, props: CfnPolicyPrincipalAttachmentProperties): AttachmentModel {
  return {
    principal: stack.attempt(id, 'Principal', () => stack.resolveString(props.Principal, 'Principal')),
    target: stack.attempt(id, 'PolicyName', () => stack.resolveString(props.PolicyName, 'PolicyName')),
  };
}

/** The rule with its SQL compiled; an action the runner does not run is kept as `unsupported`, with a warning. */
export function loadTopicRule(stack: StackReader, id: string, props: CfnTopicRuleProperties): RuleModel {
  const payload = props.TopicRulePayload ?? {};
  const sqlText = stack.resolveString(payload.Sql, 'Sql');
  const version = payload.AwsIotSqlVersion === undefined ? '2015-10-08' : stack.resolveString(payload.AwsIotSqlVersion, 'AwsIotSqlVersion');
  if (version !== IOT_SQL_VERSION) stack.warn(id, `AwsIotSqlVersion ${version}: evaluated with the ${IOT_SQL_VERSION} semantics`);
  let sql: SqlStatement;
  try {
    sql = compileSql(sqlText);
  } catch (e) {
    if (e instanceof SqlError) throw new SqlError(`SQL "${sqlText}": ${e.message}`);
    throw e;
  }
  const actionOf = (raw: unknown, what: string): ActionModel => loadAction(stack, id, raw as Record<string, unknown>, what);
  return {
    name: stack.physicalName(id),
    stack: stack.name,
    logicalId: id,
    path: stack.pathOf(id),
    sql,
    disabled: readBoolean(stack.resolve(payload.RuleDisabled), false),
    actions: (payload.Actions ?? []).map((a, i) => actionOf(a, `action ${i}`)),
    errorAction: payload.ErrorAction ? actionOf(payload.ErrorAction, 'error action') : undefined,
  };
}

function loadAction(stack: StackReader, id: string, raw: Record<string, unknown>, what: string): ActionModel {
  const [type] = Object.keys(raw);
  const body = (raw[type] ?? {}) as Record<string, unknown>;
  switch (type) {
    case 'Firehose':
      return {
        kind: 'firehose',
        streamName: stack.resolveString(body.DeliveryStreamName, `${what} Firehose.DeliveryStreamName`),
        separator: body.Separator === undefined ? undefined : stack.resolveString(body.Separator, `${what} Firehose.Separator`),
        batchMode: readBoolean(stack.resolve(body.BatchMode), false),
      };
    case 'S3':
      return {
        kind: 's3',
        bucket: stack.bucket(body.BucketName, id, `${what} S3.BucketName`, false),
        key: compileTemplate(stack.resolveString(body.Key, `${what} S3.Key`)),
      };
    default:
      stack.warn(id, `${what} ${type} is not run locally (only Firehose and S3 actions are); it is skipped`);
      return { kind: 'unsupported', type };
  }
}
