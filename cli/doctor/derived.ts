/**
 * What the facts imply, where more than one check needs it: the device's topic and client id, whether the
 * certificate is usable, attached to the thing, and has the pipeline's policy. Pure functions of the facts.
 */
import type { DoctorFacts } from './facts';

/** The topic prefix devices publish under: PublishTopicOutput (`$aws/rules/<rule>/<topic>` with Basic Ingest), else TopicOutput. */
export function publishBase(facts: DoctorFacts): string | undefined {
  return facts.publishTopic ?? facts.topic;
}

/** The topic the pipeline's device publishes to: `--topic`, else `<publish base>/<thing name>`. */
export function deviceTopic(facts: DoctorFacts): string | undefined {
  if (facts.deviceTopic !== undefined) return facts.deviceTopic;
  const base = publishBase(facts);
  return base !== undefined && facts.thingName !== undefined ? `${base}/${facts.thingName}` : undefined;
}

/** The client id devices connect with: `--client-id`, else the thing name. */
export function clientIdOf(facts: DoctorFacts): string | undefined {
  return facts.clientId ?? facts.thingName;
}

/** The certificate was found and described (ACTIVE or not): its policies and thing can be checked. */
export function certificateDescribed(facts: DoctorFacts): boolean {
  return facts.certificate?.read?.ok === true;
}

/** Whether the certificate is attached to the thing; undefined when that is unknown. */
export function certificateAttachedToThing(facts: DoctorFacts): boolean | undefined {
  const arn = facts.certificate?.arn;
  if (facts.thingName === undefined || (facts.thing && !facts.thing.ok) || arn === undefined || !facts.thingPrincipals?.ok) return undefined;
  return facts.thingPrincipals.value.includes(arn);
}

/** The names of the policies attached to the described certificate; undefined when unknown. */
export function attachedPolicyNames(facts: DoctorFacts): string[] | undefined {
  if (!certificateDescribed(facts) || facts.certificate?.arn === undefined || !facts.attachedPolicies?.ok) return undefined;
  return facts.attachedPolicies.value.map((p) => p.name);
}

/** The certificate is known to lack the pipeline's device policy (no policy at all, or others only). */
export function devicePolicyMissing(facts: DoctorFacts): boolean {
  const names = attachedPolicyNames(facts);
  if (names === undefined) return false;
  return names.length === 0 || (facts.policyName !== undefined && !names.includes(facts.policyName));
}

/** How the device policy is called in fixes when its physical name is unknown. */
export function devicePolicyReference(facts: DoctorFacts): string {
  return facts.policyName ?? 'the stack\'s AWS::IoT::Policy …DevicePolicy…';
}
