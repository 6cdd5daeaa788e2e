/**
 * `AWS::IoT::ProvisioningTemplate` (fleet provisioning by claim): the template the runner's fleet provisioning API
 * serves, with its body, role, pre-provisioning hook and the claim policy the fleet construct creates beside it.
 *
 * CloudFormation: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iot-provisioningtemplate.html
 * (TemplateBody, ProvisioningRoleArn, Enabled, TemplateName, TemplateType FLEET_PROVISIONING | JITP,
 * PreProvisioningHook {TargetArn, PayloadVersion}). A JITP template has no MQTT API and is not loaded.
 *
 * The claim policy is the `AWS::IoT::Policy` the fleet construct creates beside its template (construct ids in
 * src/contract/fleet.ts): `<fleet>/Template` and `<fleet>/ClaimPolicy`.
 */
import { FLEET_CONSTRUCT_IDS, TEMPLATE_NAME_PATTERN } from '../../../src/contract';
import { readBoolean, StackReader } from '../stack-reader';
import type { PolicyModel } from './iot';
import type { FunctionModel } from './lambda';

/** The properties the runner reads (values may still be intrinsics). */
export interface CfnProvisioningTemplateProperties {
  readonly TemplateBody?: unknown;
  readonly ProvisioningRoleArn?: unknown;
  readonly Enabled?: unknown;
  readonly TemplateName?: unknown;
  readonly TemplateType?: unknown;
  readonly PreProvisioningHook?: { readonly TargetArn?: unknown; readonly PayloadVersion?: unknown };
}

export interface ProvisioningTemplateModel {
  readonly name: string;
  readonly arn: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly path: string;
  readonly enabled: boolean;
  /** The JSON text of the template body. */
  readonly body: string;
  readonly roleArn: string;
  /** The pre-provisioning hook's function ARN (a function of the model when it is run locally). */
  readonly hookArn?: string;
  /** Keys in `model.policies` of the claim policy (policies found at `<fleet>/ClaimPolicy`). */
  readonly claimPolicies: string[];
}

/** What a template refers to: the policies (the claim policy) and functions (the hook) loaded before it. */
export interface ProvisioningTemplateContext {
  readonly policies: ReadonlyMap<string, PolicyModel>;
  readonly functions: ReadonlyMap<string, FunctionModel>;
}

/** The template, or undefined for a JITP template (not served by the MQTT API). */
export function loadProvisioningTemplate(
  stack: StackReader, id: string, props: CfnProvisioningTemplateProperties, context: ProvisioningTemplateContext,
): ProvisioningTemplateModel | undefined {
  const read = (value: unknown, what: string): string => stack.attempt(id, what, () => stack.resolveString(value, what));
  const type = props.TemplateType === undefined ? 'FLEET_PROVISIONING' : read(props.TemplateType, 'TemplateType');
  if (type !== 'FLEET_PROVISIONING') return undefined;
  const name = props.TemplateName === undefined ? id : read(props.TemplateName, 'TemplateName');
  if (!TEMPLATE_NAME_PATTERN.test(name)) stack.fail(id, `TemplateName "${name}" is not 1-36 of [0-9A-Za-z_-]`);
  // Enabled defaults to false (the CloudFormation page above).
  const enabled = readBoolean(stack.attempt(id, 'Enabled', () => stack.resolve(props.Enabled)), false);
  const hookArn = props.PreProvisioningHook?.TargetArn === undefined ? undefined : read(props.PreProvisioningHook.TargetArn, 'PreProvisioningHook.TargetArn');
  if (hookArn !== undefined && !context.functions.has(hookArn)) {
    stack.fail(id, `its pre-provisioning hook ${hookArn} is not a function of the stack(s) being run`);
  }
  const path = stack.pathOf(id);
  const claimPath = `${fleetPathOf(path)}/${FLEET_CONSTRUCT_IDS.claimPolicy}`;
  const claimPolicies = [...context.policies.entries()]
    .filter(([, p]) => p.path === claimPath || p.path.startsWith(`${claimPath}/`))
    .map(([key]) => key);
  return {
    name,
    arn: stack.arn('iot', `provisioningtemplate/${name}`),
    stack: stack.name,
    logicalId: id,
    path,
    enabled,
    body: read(props.TemplateBody, 'TemplateBody'),
    roleArn: read(props.ProvisioningRoleArn, 'ProvisioningRoleArn'),
    hookArn,
    claimPolicies,
  };
}

/** `<stack>/<pipeline>/<fleet>/Template[/Resource]` → `<stack>/<pipeline>/<fleet>`. */
function fleetPathOf(path: string): string {
  const parts = path.split('/');
  const at = parts.lastIndexOf(FLEET_CONSTRUCT_IDS.template);
  return at > 0 ? parts.slice(0, at).join('/') : parts.slice(0, -1).join('/');
}
