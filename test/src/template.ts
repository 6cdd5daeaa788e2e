/**
 * Typed readers over a synthesized template for the construct tests: `Template.findResources` returns untyped
 * values, so every read goes through these helpers, which name the shape they expect and resolve tokens with
 * `stack.resolve`. Assertions then compare values (`toEqual`, `Match`), never stringified templates.
 */
import { isDeepStrictEqual } from 'util';
import { App, Aspects, CfnElement, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

/** A stack in a fixed account and region, so ARNs the construct formats hold them as literals. */
export function testStack(id = 'TestStack', context: Record<string, unknown> = {}): Stack {
  return new Stack(new App({ context }), id, { env: { account: ACCOUNT, region: REGION } });
}

/** A resource as the template holds it; `P` names the properties a test reads. */
export interface TemplateResource<P> {
  readonly Type: string;
  readonly Properties: P;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly DependsOn?: string[];
  readonly Metadata?: Record<string, unknown>;
}

/** The resources of one type, by logical id; `props` narrows them as `Template.findResources` does (a `Match` pattern). */
export function resourcesOfType<P>(template: Template, type: string, props?: unknown): Record<string, TemplateResource<P>> {
  return template.findResources(type, props) as Record<string, TemplateResource<P>>;
}

/** The one resource of a type (matching `props`, if given); fails naming how many there are otherwise. */
export function onlyResourceOfType<P>(template: Template, type: string, props?: unknown): TemplateResource<P> {
  const resources = Object.values(resourcesOfType<P>(template, type, props));
  if (resources.length !== 1) throw new Error(`expected one ${type} resource, the template has ${resources.length}`);
  return resources[0];
}

/** The local path of a resource's asset (`aws:asset:path` metadata, set when `aws:cdk:enable-asset-metadata` is on). */
export function assetPathOf(resource: TemplateResource<unknown>): string {
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') throw new Error('the resource has no aws:asset:path metadata; synthesize with the context aws:cdk:enable-asset-metadata');
  return assetPath;
}

/** The properties of every resource of one type, in template order. */
export function propertiesOfType<P>(template: Template, type: string): P[] {
  return Object.values(resourcesOfType<P>(template, type)).map((resource) => resource.Properties);
}

/** The logical id of a construct's CloudFormation resource (the construct itself or its default child). */
export function logicalIdOf(construct: IConstruct): string {
  const element = CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild;
  if (!CfnElement.isCfnElement(element)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(element).getLogicalId(element);
}

/** The template entry of a construct's CloudFormation resource. */
export function resourceOf<P>(template: Template, construct: IConstruct): TemplateResource<P> {
  const id = logicalIdOf(construct);
  const resource = (template.toJSON().Resources as Record<string, TemplateResource<P> | undefined>)[id];
  if (!resource) throw new Error(`${construct.node.path} (${id}) is not in the template`);
  return resource;
}

/** `{ Ref: id }` or `{ 'Fn::GetAtt': [id, attribute] }`, as CloudFormation references a resource. */
export interface Reference {
  readonly 'Ref'?: string;
  readonly 'Fn::GetAtt'?: [string, string];
}

/** The logical id a `Ref` or `Fn::GetAtt` names. */
export function referencedId(reference: Reference): string {
  const id = reference.Ref ?? reference['Fn::GetAtt']?.[0];
  if (id === undefined) throw new Error(`expected { Ref: id } or { 'Fn::GetAtt': [id, attribute] }, got ${Object.keys(reference).join(', ')}`);
  return id;
}

/** An IAM policy statement as the template holds it (resolved). */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Principal?: { readonly Service?: string | string[]; readonly AWS?: unknown };
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  readonly Statement: Statement[];
}

/** AWS::IAM::Policy and AWS::IAM::Role, as far as the tests read them. */
export interface IamPolicyProperties {
  readonly PolicyDocument: PolicyDocument;
  readonly Roles: Reference[];
}
export interface IamRoleProperties {
  readonly AssumeRolePolicyDocument: PolicyDocument;
  readonly ManagedPolicyArns?: unknown[];
  readonly RoleName?: unknown;
}

/** The actions of a statement as a list. */
export function actionsOf(statement: Statement): string[] {
  return [statement.Action].flat();
}

/** The resources of a statement as a list (none when it has no `Resource`). */
export function statementResources(statement: Statement): unknown[] {
  return statement.Resource === undefined ? [] : [statement.Resource].flat();
}

/** The resolved statements of every IAM policy of the template, each with the roles the policy is attached to. */
export function policyStatements(stack: Stack, template: Template): Array<{ readonly roles: Reference[]; readonly statement: Statement }> {
  return propertiesOfType<IamPolicyProperties>(template, 'AWS::IAM::Policy')
    .flatMap((policy) => (stack.resolve(policy.PolicyDocument.Statement) as Statement[]).map((statement) => ({ roles: policy.Roles, statement })));
}

/** The resolved statements of every IAM policy attached to the role with this logical id, in template order. */
export function statementsOfRole(stack: Stack, template: Template, roleId: string): Statement[] {
  return propertiesOfType<IamPolicyProperties>(template, 'AWS::IAM::Policy')
    .filter((policy) => policy.Roles.some((role) => role.Ref === roleId))
    .flatMap((policy) => stack.resolve(policy.PolicyDocument.Statement) as Statement[]);
}

/** Every action any IAM policy of the template allows or denies. */
export function allPolicyActions(stack: Stack, template: Template): string[] {
  return propertiesOfType<IamPolicyProperties>(template, 'AWS::IAM::Policy')
    .flatMap((policy) => (stack.resolve(policy.PolicyDocument.Statement) as Statement[]).flatMap(actionsOf));
}

/** The ARN the construct formats for a resource of `service` in the test stack's account and region. */
export function arnInStack(service: string, resource: string): unknown {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:${REGION}:${ACCOUNT}:${resource}`]] };
}

/** Every string inside a resolved value (the literal parts of joins, references' ids, …), depth first. */
export function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}

/** Every value inside a resolved value, itself included, depth first. */
export function valuesIn(value: unknown): unknown[] {
  if (Array.isArray(value)) return [value, ...value.flatMap(valuesIn)];
  if (value !== null && typeof value === 'object') return [value, ...Object.values(value).flatMap(valuesIn)];
  return [value];
}

/** Whether `part` (a resolved token such as `{ 'Fn::GetAtt': [id, 'Arn'] }`) occurs anywhere inside a resolved value. */
export function mentions(value: unknown, part: unknown): boolean {
  return valuesIn(value).some((inner) => isDeepStrictEqual(inner, part));
}

/** The type of every resource of the template, in template order. */
export function resourceTypes(template: Template): string[] {
  return Object.values(template.toJSON().Resources as Record<string, { Type: string }>).map((resource) => resource.Type);
}

/** The logical ids of every output of the template. */
export function outputIds(template: Template): string[] {
  return Object.keys(template.findOutputs('*'));
}

/**
 * Runs cdk-nag's AwsSolutions pack over the stack and lists its unsuppressed errors and warnings, each as
 * `<construct path>: <finding>` so a failing `toEqual([])` names the construct and the rule.
 */
export function nagFindings(stack: Stack): string[] {
  Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
  const annotations = Annotations.fromStack(stack);
  return [
    ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
  ].map((finding) => `${finding.id}: ${finding.entry.data}`);
}
