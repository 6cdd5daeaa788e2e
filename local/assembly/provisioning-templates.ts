/**
 * The loader of `AWS::IoT::ProvisioningTemplate` (fleet provisioning by claim): typed CloudFormation properties in,
 * a model record out, next to the model the runner already has (policies, functions).
 *
 * CloudFormation: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iot-provisioningtemplate.html
 * (TemplateBody, ProvisioningRoleArn, Enabled, TemplateName, TemplateType FLEET_PROVISIONING | JITP,
 * PreProvisioningHook {TargetArn, PayloadVersion}). A JITP template has no MQTT API and is ignored.
 *
 * The claim policy is the `AWS::IoT::Policy` the fleet construct creates beside its template (construct ids in
 * src/contract/fleet.ts): `<fleet>/Template` and `<fleet>/ClaimPolicy`.
 */
import { Resolver, selectStacks, readAssembly, UnresolvableError, AssemblyError } from './cloud-assembly';
import type { LocalModel } from './model';
import { FLEET_CONSTRUCT_IDS, TEMPLATE_NAME_PATTERN } from '../../src/contract';

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

interface TemplateProperties {
  TemplateBody?: unknown;
  ProvisioningRoleArn?: unknown;
  Enabled?: unknown;
  TemplateName?: unknown;
  TemplateType?: unknown;
  PreProvisioningHook?: { TargetArn?: unknown; PayloadVersion?: unknown };
}

/** Reads the provisioning templates of the selected stacks; names resolve as in `loadModel`. */
export function loadProvisioningTemplates(options: { app: string; stack?: string }, model: LocalModel): Map<string, ProvisioningTemplateModel> {
  const templates = new Map<string, ProvisioningTemplateModel>();
  for (const stack of selectStacks(readAssembly(options.app), options.stack)) {
    const r = new Resolver(stack);
    const fail = (id: string, message: string): never => {
      throw new AssemblyError(`${stack.displayName}: ${r.describe(id)}: ${message}`);
    };
    for (const [id, res] of Object.entries(r.resources)) {
      if (res.Type !== 'AWS::IoT::ProvisioningTemplate') continue;
      const props = (res.Properties ?? {}) as TemplateProperties;
      const read = (value: unknown, what: string): string => {
        try {
          return r.resolveString(value, what);
        } catch (e) {
          if (e instanceof UnresolvableError) return fail(id, `${what}: ${e.message}`);
          throw e;
        }
      };
      const type = props.TemplateType === undefined ? 'FLEET_PROVISIONING' : read(props.TemplateType, 'TemplateType');
      if (type !== 'FLEET_PROVISIONING') continue;
      const name = props.TemplateName === undefined ? id : read(props.TemplateName, 'TemplateName');
      if (!TEMPLATE_NAME_PATTERN.test(name)) fail(id, `TemplateName "${name}" is not 1-36 of [0-9A-Za-z_-]`);
      if (templates.has(name)) fail(id, `template name "${name}" is also used by ${templates.get(name)!.path}`);
      const enabled = props.Enabled === undefined ? false : ['true', true].includes(r.resolve(props.Enabled) as string | boolean);
      const hookArn = props.PreProvisioningHook?.TargetArn === undefined ? undefined : read(props.PreProvisioningHook.TargetArn, 'PreProvisioningHook.TargetArn');
      if (hookArn !== undefined && !model.functions.has(hookArn)) {
        fail(id, `its pre-provisioning hook ${hookArn} is not a function of the stack(s) being run`);
      }
      const path = r.pathOf(id);
      const fleetPath = fleetPathOf(path);
      const claimPath = `${fleetPath}/${FLEET_CONSTRUCT_IDS.claimPolicy}`;
      const claimPolicies = [...model.policies.entries()]
        .filter(([, p]) => p.path === claimPath || p.path.startsWith(`${claimPath}/`))
        .map(([key]) => key);
      templates.set(name, {
        name,
        arn: r.arn('iot', `provisioningtemplate/${name}`),
        stack: stack.displayName,
        logicalId: id,
        path,
        enabled,
        body: read(props.TemplateBody, 'TemplateBody'),
        roleArn: read(props.ProvisioningRoleArn, 'ProvisioningRoleArn'),
        hookArn,
        claimPolicies,
      });
    }
  }
  return templates;
}

/** `<stack>/<pipeline>/<fleet>/Template[/Resource]` → `<stack>/<pipeline>/<fleet>`. */
function fleetPathOf(path: string): string {
  const parts = path.split('/');
  const at = parts.lastIndexOf(FLEET_CONSTRUCT_IDS.template);
  return at > 0 ? parts.slice(0, at).join('/') : parts.slice(0, -1).join('/');
}
