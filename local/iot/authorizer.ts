/**
 * AWS IoT authorization for the local broker, on top of the policy evaluator the `doctor` command uses
 * (policy.ts, next to this file): a connection's certificate belongs to one thing; the policies are those attached
 * to that thing's certificate resources; `iot:Connection.Thing.IsAttached` is true when the client id is that
 * thing's name. Decisions are cached per connection (policies do not change while the runner runs).
 */
import { describeStatement, EvaluationResult, evaluatePolicies, iotArn, NamedPolicy, PolicyContext } from './policy';
import type { LocalModel } from '../assembly/model';

/** The outcome of one authorization, with the reason to log when denied. */
export interface Decision {
  readonly allowed: boolean;
  readonly reason: string;
}

/** What the broker knows about a connection. */
export interface ConnectionIdentity {
  readonly clientId: string;
  /** The thing the client certificate was issued for; undefined for an unknown certificate. */
  readonly certificateThing?: string;
  /** Policies attached to the certificate itself, besides the thing's (a claim certificate; a provisioned one). */
  readonly certificatePolicies?: readonly string[];
  /** The thing exists outside the stacks (registered by fleet provisioning). */
  readonly registeredThing?: boolean;
}

/** Authorizes the requests of one connection. */
export class ConnectionAuthorizer {
  /**
   * Decisions by action, then by client id, topic or filter: looked up with the name as it is, so a publish builds no
   * key string (it built `${action} ${topic}` for every message).
   */
  private readonly cache = new Map<string, Map<string, Decision>>();
  private readonly policies: NamedPolicy[];
  private readonly context: PolicyContext;

  constructor(private readonly model: LocalModel, public readonly identity: ConnectionIdentity) {
    const thing = identity.certificateThing;
    const names = [...new Set([...(thing === undefined ? [] : model.thingPolicies.get(thing) ?? []), ...(identity.certificatePolicies ?? [])])];
    this.policies = names.flatMap((name) => {
      const p = model.policies.get(name);
      return p ? [{ name, document: p.document }] : [];
    });
    const isAttached = thing !== undefined && thing === identity.clientId && (model.things.has(thing) || identity.registeredThing === true);
    this.context = { clientId: identity.clientId, thingName: isAttached ? thing : undefined, isAttached };
  }

  public get policyNames(): string[] {
    return this.policies.map((p) => p.name);
  }

  public connect(): Decision {
    return this.decide('iot:Connect', 'client', this.identity.clientId);
  }

  public publish(topic: string): Decision {
    return this.decide('iot:Publish', 'topic', topic);
  }

  public subscribe(filter: string): Decision {
    return this.decide('iot:Subscribe', 'topicfilter', filter);
  }

  public receive(topic: string): Decision {
    return this.decide('iot:Receive', 'topic', topic);
  }

  private decide(action: string, kind: 'client' | 'topic' | 'topicfilter', name: string): Decision {
    let decisions = this.cache.get(action);
    if (!decisions) {
      decisions = new Map();
      this.cache.set(action, decisions);
    }
    const hit = decisions.get(name);
    if (hit) return hit;
    const resource = iotArn('aws', this.model.region, this.model.account, kind, name);
    const decision = this.explain(action, resource, evaluatePolicies(this.policies, { action, resource, context: this.context }));
    if (decisions.size >= 10000) decisions.clear();
    decisions.set(name, decision);
    return decision;
  }

  private explain(action: string, resource: string, result: EvaluationResult): Decision {
    if (result.allowed) return { allowed: true, reason: `allowed by ${result.allowedBy.map(describeStatement).join(', ')}` };
    const thing = this.identity.certificateThing;
    let reason: string;
    if (result.decision === 'ExplicitDeny') {
      reason = `${action} on ${resource} explicitly denied by ${result.deniedBy.map(describeStatement).join(', ')}`;
    } else if (thing === undefined) {
      reason = `${action} on ${resource}: the client certificate was not issued by \`local certs\` for a thing, so no policy applies`;
    } else if (!this.model.things.has(thing) && !this.identity.registeredThing) {
      reason = `${action} on ${resource}: the certificate belongs to thing "${thing}", which is not in the stack(s), so no policy applies`;
    } else if (this.policies.length === 0) {
      reason = `${action} on ${resource}: no IoT policy is attached to the certificate of thing "${thing}"`;
    } else {
      const attached = this.context.isAttached ? '' : ` (client id "${this.identity.clientId}" is not the thing "${thing}" the certificate is attached to, so iot:Connection.Thing.IsAttached is false)`;
      reason = `${action} on ${resource} is not allowed by ${this.policies.map((p) => p.name).join(', ')}${attached}`;
    }
    if (result.notes.length > 0) reason += `; ${result.notes.join('; ')}`;
    return { allowed: false, reason };
  }
}
