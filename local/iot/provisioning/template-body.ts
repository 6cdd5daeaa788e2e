/**
 * A provisioning template body evaluated for one RegisterThing request, as AWS IoT does it
 * (https://docs.aws.amazon.com/iot/latest/developerguide/provision-template.html): the `Parameters` (a value from the
 * request, else the parameter's `Default`, else the request is refused), the intrinsic functions the page lists
 * (`Ref`, `Fn::Join`, `Fn::Select`, `Fn::FindInMap`, `Fn::Split`, `Fn::Sub`) and the resources of a fleet template:
 * `AWS::IoT::Thing` (ThingName, AttributePayload, ThingTypeName, ThingGroups, OverrideSettings),
 * `AWS::IoT::Certificate` (`CertificateId: {"Ref": "AWS::IoT::Certificate::Id"}`, Status) and `AWS::IoT::Policy`
 * (PolicyName, or PolicyDocument as a string or an object), plus the flat `DeviceConfiguration`.
 * Not evaluated: `Conditions` and the condition functions (a template using them is refused with a message saying so).
 */
import { CERTIFICATE_ID_REF } from '../../../src/contract';

/** A request the template cannot provision: the message says what is missing or wrong. */
export class TemplateEvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateEvaluationError';
  }
}

/** What to do with a thing that exists already (the template's `OverrideSettings` per property). */
export type OverrideSetting = 'DO_NOTHING' | 'REPLACE' | 'FAIL' | 'MERGE';

/** What one evaluation of the template provisions. */
export interface ProvisionPlan {
  readonly thingName: string;
  readonly attributes: Record<string, string>;
  readonly thingTypeName?: string;
  readonly thingGroups: string[];
  /** OverrideSettings.AttributePayload (the page's default: DO_NOTHING). */
  readonly attributeOverride: OverrideSetting;
  /** Status of the certificate after registration (the template's Status, upper-cased; ACTIVE when absent). */
  readonly certificateStatus: 'ACTIVE' | 'INACTIVE';
  /** Policies attached by name. */
  readonly policyNames: string[];
  /** Policies given inline (PolicyDocument), as JSON text. */
  readonly policyDocuments: string[];
  readonly deviceConfiguration: Record<string, string>;
}

interface Body {
  Parameters?: Record<string, { Type?: string; Default?: unknown }>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Conditions?: unknown;
  Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown>; OverrideSettings?: Record<string, string> }>;
  DeviceConfiguration?: Record<string, unknown>;
}

/** Parses a template body (the JSON text of `TemplateBody`); throws TemplateEvaluationError when it is not one. */
export function parseTemplateBody(text: string, templateName: string): Body {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new TemplateEvaluationError(`the body of provisioning template "${templateName}" is not JSON: ${(e as Error).message}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new TemplateEvaluationError(`the body of provisioning template "${templateName}" is not a JSON object`);
  }
  return body as Body;
}

/** The parameters a request must give (those without a Default). */
export function requiredParameters(body: Body): string[] {
  return Object.entries(body.Parameters ?? {}).filter(([name, p]) => p?.Default === undefined && name !== CERTIFICATE_ID_REF).map(([name]) => name);
}

/** Evaluates the template for a request's parameters and the certificate being registered. */
export function evaluateTemplate(body: Body, parameters: Record<string, string>, certificateId: string): ProvisionPlan {
  if (body.Conditions !== undefined) {
    throw new TemplateEvaluationError('the template uses Conditions, which the local runner does not evaluate; provision without them locally');
  }
  const values = new Map<string, string>();
  for (const [name, declared] of Object.entries(body.Parameters ?? {})) {
    // AWS's fleet template examples declare the certificate id as a parameter; AWS IoT supplies it, not the request.
    if (name === CERTIFICATE_ID_REF) {
      values.set(name, certificateId);
      continue;
    }
    const given = parameters[name];
    if (given !== undefined) values.set(name, String(given));
    else if (declared?.Default !== undefined) values.set(name, String(declared.Default));
    else throw new TemplateEvaluationError(`the request has no value for the template parameter "${name}" (it has no Default); add "${name}" to "parameters"`);
  }
  const ev = new Evaluator(values, certificateId, body.Mappings ?? {});
  let thingName: string | undefined;
  const attributes: Record<string, string> = {};
  let thingTypeName: string | undefined;
  let thingGroups: string[] = [];
  let attributeOverride: OverrideSetting = 'DO_NOTHING';
  let certificateStatus: 'ACTIVE' | 'INACTIVE' = 'ACTIVE';
  const policyNames: string[] = [];
  const policyDocuments: string[] = [];
  for (const [key, resource] of Object.entries(body.Resources ?? {})) {
    const props = resource?.Properties ?? {};
    switch (resource?.Type) {
      case 'AWS::IoT::Thing': {
        thingName = ev.string(props.ThingName, `${key}.ThingName`);
        const payload = ev.value(props.AttributePayload) as Record<string, unknown> | undefined;
        for (const [k, v] of Object.entries(payload ?? {})) if (v !== undefined && v !== null) attributes[k] = String(v);
        if (props.ThingTypeName !== undefined) thingTypeName = ev.string(props.ThingTypeName, `${key}.ThingTypeName`);
        const groups = ev.value(props.ThingGroups);
        thingGroups = Array.isArray(groups) ? groups.map(String) : [];
        const override = resource.OverrideSettings?.AttributePayload;
        if (override !== undefined) attributeOverride = override as OverrideSetting;
        break;
      }
      case 'AWS::IoT::Certificate': {
        const id = ev.value(props.CertificateId);
        if (id !== certificateId) {
          throw new TemplateEvaluationError(`resource "${key}": a fleet template's certificate is {"Ref": "${CERTIFICATE_ID_REF}"}`);
        }
        if (props.Status !== undefined) {
          const status = ev.string(props.Status, `${key}.Status`).toUpperCase();
          if (status !== 'ACTIVE' && status !== 'INACTIVE') throw new TemplateEvaluationError(`resource "${key}": Status "${status}" is not ACTIVE or INACTIVE`);
          certificateStatus = status;
        }
        break;
      }
      case 'AWS::IoT::Policy': {
        if (props.PolicyName !== undefined) {policyNames.push(ev.string(props.PolicyName, `${key}.PolicyName`));} else if (props.PolicyDocument !== undefined) {
          const doc = ev.value(props.PolicyDocument);
          policyDocuments.push(typeof doc === 'string' ? doc : JSON.stringify(doc));
        } else {throw new TemplateEvaluationError(`resource "${key}": an AWS::IoT::Policy needs PolicyName or PolicyDocument`);}
        break;
      }
      default:
        throw new TemplateEvaluationError(`resource "${key}": type ${resource?.Type} is not one a provisioning template may hold (AWS::IoT::Thing, AWS::IoT::Certificate, AWS::IoT::Policy)`);
    }
  }
  if (thingName === undefined) throw new TemplateEvaluationError('the template has no AWS::IoT::Thing resource');
  const deviceConfiguration: Record<string, string> = {};
  for (const [k, v] of Object.entries(body.DeviceConfiguration ?? {})) deviceConfiguration[k] = String(ev.value(v));
  return {
    thingName, attributes, thingTypeName, thingGroups, attributeOverride, certificateStatus, policyNames, policyDocuments, deviceConfiguration,
  };
}

class Evaluator {
  constructor(
    private readonly parameters: Map<string, string>,
    private readonly certificateId: string,
    private readonly mappings: Record<string, Record<string, Record<string, unknown>>>,
  ) {}

  public string(value: unknown, what: string): string {
    const v = this.value(value);
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new TemplateEvaluationError(`${what} does not evaluate to a string`);
    }
    return String(v);
  }

  public value(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.value(v));
    if (!value || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0];
      switch (fn) {
        case 'Ref': return this.ref(String(arg));
        case 'Fn::Join': {
          const [sep, list] = this.args(fn, arg, 2);
          return (this.value(list) as unknown[]).map((v) => this.scalar(v, fn)).join(String(sep));
        }
        case 'Fn::Select': {
          const [index, list] = this.args(fn, arg, 2);
          const items = this.value(list) as unknown[];
          const i = Number(this.value(index));
          if (!Array.isArray(items) || !Number.isInteger(i) || i < 0 || i >= items.length) {
            throw new TemplateEvaluationError(`Fn::Select: index ${i} is outside the list`);
          }
          return items[i];
        }
        case 'Fn::Split': {
          const [sep, text] = this.args(fn, arg, 2);
          return this.scalar(this.value(text), fn).split(String(sep));
        }
        case 'Fn::FindInMap': {
          const [map, top, second] = this.args(fn, arg, 3).map((a) => this.scalar(this.value(a), fn));
          const found = this.mappings[map]?.[top]?.[second];
          if (found === undefined) throw new TemplateEvaluationError(`Fn::FindInMap: no Mappings.${map}.${top}.${second}`);
          return found;
        }
        case 'Fn::Sub': {
          const text = typeof arg === 'string' ? arg : this.args(fn, arg, 2)[0];
          const local = typeof arg === 'string' ? {} : (this.args(fn, arg, 2)[1] as Record<string, unknown>) ?? {};
          return String(text).replace(/\$\{([^}!][^}]*)\}/g, (_m, name: string) =>
            (name in local ? this.scalar(this.value(local[name]), fn) : this.scalar(this.ref(name), fn)));
        }
        default:
          if (fn.startsWith('Fn::')) throw new TemplateEvaluationError(`${fn} is not a function provisioning templates support (Fn::Join, Fn::Select, Fn::FindInMap, Fn::Split, Fn::Sub)`);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.value(v)]));
  }

  private ref(name: string): string {
    if (name === CERTIFICATE_ID_REF) return this.certificateId;
    const v = this.parameters.get(name);
    if (v === undefined) throw new TemplateEvaluationError(`Ref "${name}": no such template parameter`);
    return v;
  }

  private args(fn: string, arg: unknown, count: number): unknown[] {
    if (!Array.isArray(arg) || arg.length < (fn === 'Fn::Sub' ? 1 : count)) throw new TemplateEvaluationError(`${fn} takes a list of ${count}`);
    return arg;
  }

  private scalar(v: unknown, fn: string): string {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new TemplateEvaluationError(`${fn}: a value is not a string`);
  }
}
