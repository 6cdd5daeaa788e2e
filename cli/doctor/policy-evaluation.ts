/**
 * Evaluating the device's policies for one request (connect as the client id, publish to the device topic), with
 * the local runner's IoT policy evaluator: the policies attached to the certificate when they could be read, else
 * the pipeline's device policy alone. Shared by the policy-connect and policy-publish checks.
 */
import { fail, notChecked, pass, stackOf, Verdict } from './check';
import { certificateAttachedToThing, certificateDescribed, clientIdOf, devicePolicyMissing, devicePolicyReference } from './derived';
import type { DoctorFacts, FactName } from './facts';
import { describeStatement, evaluatePolicies, EvaluationResult, iotArn, NamedPolicy, PolicyParseError } from '../../local/iot/policy';

/** The facts `evaluateDevicePolicies` reads (the policy checks add the ones their request needs). */
export const POLICY_EVALUATION_READS: readonly FactName[] = [
  'stack', 'certificate', 'attachedPolicies', 'pipelinePolicy', 'policyName', 'clientId', 'thingName', 'thing', 'thingPrincipals',
];

/** One request of the device. */
export interface DeviceRequest {
  /** `iot:Connect`, `iot:Publish`. */
  readonly action: string;
  readonly resourceKind: 'client' | 'topic';
  /** The client id or topic; undefined when unknown. */
  readonly resourceName: string | undefined;
  /** The check's title for this request. */
  readonly title: string;
  /** What to do when no statement allows the request. */
  readonly allowFix: string;
}

/** The verdict for one request of the device. */
export function evaluateDevicePolicies(facts: DoctorFacts, request: DeviceRequest): Verdict {
  const { action, title } = request;
  // The attached policies count once the certificate could be described; before, the device policy stands in.
  const attachedReadable = certificateDescribed(facts) && facts.attachedPolicies?.ok === true;
  const policies: NamedPolicy[] | undefined = attachedReadable && facts.attachedPolicies?.ok
    ? facts.attachedPolicies.value
    : facts.pipelinePolicy?.ok ? [facts.pipelinePolicy.value] : undefined;
  if (!policies) return notChecked('the policies could not be read', title);
  if (request.resourceName === undefined) return notChecked('thing name or topic unknown', title);
  const stack = stackOf(facts);
  const resource = iotArn(stack.partition, stack.region, stack.account, request.resourceKind, request.resourceName);

  const evaluatedWhat = attachedReadable
    ? 'the policies attached to the certificate'
    : `policy ${facts.policyName} alone (not known to be attached; certificate assumed attached to the thing)`;
  const clientId = clientIdOf(facts);
  const thingName = facts.thingName;
  const attached = certificateAttachedToThing(facts);
  // Unknown attachment (no certificate found): evaluate as the construct sets it up, attached.
  const connectedAsAttachedThing = clientId !== undefined && clientId === thingName && (attached ?? true);
  const context = { clientId, thingName: connectedAsAttachedThing ? thingName : undefined, isAttached: connectedAsAttachedThing };

  let result: EvaluationResult;
  try {
    result = evaluatePolicies(policies, { action, resource, context });
  } catch (e) {
    if (!(e instanceof PolicyParseError)) throw e;
    return fail(e.message, 'fix the policy document (JSON with Version and Statement)', title);
  }
  const notes = result.notes.length > 0 ? ` (${result.notes.join('; ')})` : '';
  if (result.decision === 'Allow') {
    const alone = policies.length === 1 && !attachedReadable ? ` (evaluated ${evaluatedWhat})` : '';
    return pass(`${action} on ${resource} is allowed by ${result.allowedBy.map(describeStatement).join(', ')}${alone}${notes}`, title);
  }
  if (result.decision === 'ExplicitDeny') {
    return fail(`${action} on ${resource} is denied by ${result.deniedBy.map(describeStatement).join(', ')}${notes}`,
      'remove or narrow that Deny statement (a Deny wins over every Allow), then `aws iot create-policy-version --set-as-default`', title);
  }
  const conditionBlocked = result.notes.some((n) => n.includes('does not hold') || n.includes('cannot be resolved'));
  const fix = conditionBlocked && attached === false
    ? 'attach the certificate to the thing (see certificate-thing): the policy needs iot:Connection.Thing.IsAttached / the thing name'
    : devicePolicyMissing(facts)
      ? `attach the pipeline's device policy (${devicePolicyReference(facts)}) to the certificate (see certificate-policy)`
      : request.allowFix;
  return fail(`no statement in ${evaluatedWhat} allows ${action} on ${resource}${notes}`, fix, title);
}
