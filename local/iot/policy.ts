/**
 * A small evaluator for AWS IoT Core policies — pure functions, no I/O.
 *
 * Semantics implemented (docs.aws.amazon.com/iot/latest/developerguide/iot-policies.html,
 * iot-policy-variables.html, pub-sub-policy.html; IAM policy grammar for Action/Resource/Condition):
 * - All policies attached to the principal are evaluated together: an applicable `Deny` wins over any
 *   `Allow`; with no applicable statement the request is implicitly denied.
 * - `Action`/`NotAction` match case-insensitively with the IAM wildcards `*` and `?`.
 * - `Resource`/`NotResource` match case-sensitively with `*` (any run of characters, `/` included) and `?`
 *   (one character). The MQTT wildcards `+` and `#` are ordinary characters in a policy.
 * - Policy variables `${iot:ClientId}`, `${iot:Connection.Thing.ThingName}`,
 *   `${iot:Connection.Thing.IsAttached}` and any key given in the context; `${*}`, `${?}`, `${$}` stand for
 *   the literal characters. A variable that cannot be resolved makes that resource (or condition value)
 *   match nothing. `${iot:Connection.Thing.ThingName}` only resolves when the certificate is attached to the
 *   thing whose name is the client id.
 * - Conditions: String(Not)Equals(IgnoreCase), String(Not)Like, Bool, Arn(Not)Equals, Arn(Not)Like, Null,
 *   each with optional `IfExists`. Several values of one key are ORed, keys and operators are ANDed. A
 *   negated operator is true for a missing key. Unsupported operators make the statement not apply (and are
 *   reported in `notes`).
 */

/** A policy statement as written in the JSON document. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** A policy document. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: PolicyStatement | PolicyStatement[];
}

/** A policy with a name (to point at the statement that decided). */
export interface NamedPolicy {
  readonly name: string;
  /** The document, as JSON text (what GetPolicy returns) or parsed. */
  readonly document: string | PolicyDocument;
}

/** What AWS IoT knows about the connection when it authorizes a request. */
export interface PolicyContext {
  /** The MQTT client id. */
  readonly clientId?: string;
  /** The thing name; only resolved when `isAttached` is not false. */
  readonly thingName?: string;
  /** Whether the certificate is attached to the thing named like the client id. */
  readonly isAttached?: boolean;
  /** Further condition keys / policy variables, e.g. `iot:Connection.Thing.ThingTypeName`. */
  readonly extra?: Record<string, string | boolean>;
}

/** One request to authorize. */
export interface AuthorizationRequest {
  /** E.g. `iot:Connect`, `iot:Publish`. */
  readonly action: string;
  /** The resource ARN, e.g. `arn:aws:iot:us-east-1:123456789012:topic/a/b`. */
  readonly resource: string;
  readonly context?: PolicyContext;
}

/** Where a statement lives. */
export interface StatementRef {
  readonly policy: string;
  readonly index: number;
  readonly sid?: string;
}

/** The outcome of an evaluation. */
export interface EvaluationResult {
  readonly decision: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
  readonly allowed: boolean;
  /** Allow statements that applied. */
  readonly allowedBy: StatementRef[];
  /** Deny statements that applied. */
  readonly deniedBy: StatementRef[];
  /** Things the evaluator could not interpret (unsupported operators, unresolved variables). */
  readonly notes: string[];
}

/** Thrown when a policy document is not valid JSON or not shaped like a policy. */
export class PolicyParseError extends Error {}

/** Parses and checks the shape of a policy document. */
export function parsePolicyDocument(document: string | PolicyDocument, name = 'policy'): PolicyDocument {
  let doc: unknown = document;
  if (typeof document === 'string') {
    try {
      doc = JSON.parse(document);
    } catch (e) {
      throw new PolicyParseError(`${name}: the policy document is not JSON (${(e as Error).message})`);
    }
  }
  if (typeof doc !== 'object' || doc === null || !('Statement' in doc)) {
    throw new PolicyParseError(`${name}: the policy document has no Statement`);
  }
  const statements = asArray((doc as PolicyDocument).Statement);
  statements.forEach((s, i) => {
    if (typeof s !== 'object' || s === null) throw new PolicyParseError(`${name}: statement ${i} is not an object`);
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') {
      throw new PolicyParseError(`${name}: statement ${i} has Effect ${JSON.stringify(s.Effect)}; it must be "Allow" or "Deny"`);
    }
    if ((s.Action === undefined) === (s.NotAction === undefined)) {
      throw new PolicyParseError(`${name}: statement ${i} needs exactly one of Action and NotAction`);
    }
    if ((s.Resource === undefined) === (s.NotResource === undefined)) {
      throw new PolicyParseError(`${name}: statement ${i} needs exactly one of Resource and NotResource`);
    }
  });
  return doc as PolicyDocument;
}

/** Evaluates a request against all policies of a principal. */
export function evaluatePolicies(policies: readonly NamedPolicy[], request: AuthorizationRequest): EvaluationResult {
  const allowedBy: StatementRef[] = [];
  const deniedBy: StatementRef[] = [];
  const notes: string[] = [];
  const context = request.context ?? {};
  for (const policy of policies) {
    const doc = parsePolicyDocument(policy.document, policy.name);
    asArray(doc.Statement).forEach((statement, index) => {
      const ref: StatementRef = { policy: policy.name, index, ...(statement.Sid ? { sid: statement.Sid } : {}) };
      if (!statementApplies(statement, request, context, notes, ref)) return;
      (statement.Effect === 'Deny' ? deniedBy : allowedBy).push(ref);
    });
  }
  const decision = deniedBy.length > 0 ? 'ExplicitDeny' : allowedBy.length > 0 ? 'Allow' : 'ImplicitDeny';
  return { decision, allowed: decision === 'Allow', allowedBy, deniedBy, notes };
}

/** Formats a statement reference: `policy-name statement 2 (Sid "PublishTelemetry")`. */
export function describeStatement(ref: StatementRef): string {
  return `${ref.policy} statement ${ref.index}${ref.sid ? ` (Sid "${ref.sid}")` : ''}`;
}

/** The ARN of an AWS IoT resource: `arn:<partition>:iot:<region>:<account>:<kind>/<name>`. */
export function iotArn(partition: string, region: string, account: string, kind: 'client' | 'topic' | 'topicfilter' | 'thing', name: string): string {
  return `arn:${partition}:iot:${region}:${account}:${kind}/${name}`;
}

function statementApplies(s: PolicyStatement, request: AuthorizationRequest, context: PolicyContext, notes: string[], ref: StatementRef): boolean {
  const actionHit = s.Action !== undefined
    ? asArray(s.Action).some((a) => matchesAction(a, request.action))
    : !asArray(s.NotAction).some((a) => matchesAction(a, request.action));
  if (!actionHit) return false;
  const resourceHit = s.Resource !== undefined
    ? asArray(s.Resource).some((r) => matchesResource(r, request.resource, context, notes, ref))
    : !asArray(s.NotResource).some((r) => matchesResource(r, request.resource, context, notes, ref));
  if (!resourceHit) return false;
  const holds = conditionsHold(s.Condition, context, notes, ref);
  if (!holds) {
    noteOnce(notes, `${describeStatement(ref)} matches the action and resource, but its Condition ${JSON.stringify(s.Condition)} does not hold for this connection`);
  }
  return holds;
}

function matchesAction(pattern: string, action: string): boolean {
  return wildcardMatch(literalTokens(pattern, true), action, true);
}

function matchesResource(pattern: string, resource: string, context: PolicyContext, notes: string[], ref: StatementRef): boolean {
  const tokens = substituteVariables(pattern, context);
  if ('unresolved' in tokens) {
    noteOnce(notes, `${describeStatement(ref)}: \${${tokens.unresolved}} cannot be resolved for this connection, so "${pattern}" matches nothing`);
    return false;
  }
  return wildcardMatch(tokens.tokens, resource, false);
}

/** A pattern, split into literal text and the IAM wildcards. */
export type Token = { readonly literal: string } | { readonly wildcard: '*' | '?' };

function literalTokens(pattern: string, wildcards: boolean): Token[] {
  const tokens: Token[] = [];
  let text = '';
  for (const ch of pattern) {
    if (wildcards && (ch === '*' || ch === '?')) {
      if (text) tokens.push({ literal: text });
      text = '';
      tokens.push({ wildcard: ch });
    } else {
      text += ch;
    }
  }
  if (text) tokens.push({ literal: text });
  return tokens;
}

/**
 * Replaces policy variables in a pattern. Substituted values and `${*}`/`${?}`/`${$}` become literal text;
 * `*` and `?` outside variables stay wildcards.
 */
export function substituteVariables(pattern: string, context: PolicyContext): { tokens: Token[] } | { unresolved: string } {
  const tokens: Token[] = [];
  const re = /\$\{([^}]*)\}/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(pattern)) !== null) {
    tokens.push(...literalTokens(pattern.slice(last, m.index), true));
    const value = variableValue(m[1], context);
    if (value === undefined) return { unresolved: m[1] };
    tokens.push({ literal: value });
    last = m.index + m[0].length;
  }
  tokens.push(...literalTokens(pattern.slice(last), true));
  return { tokens };
}

function variableValue(name: string, context: PolicyContext): string | undefined {
  if (name === '*' || name === '?' || name === '$') return name;
  const value = contextValue(name, context);
  return value === undefined ? undefined : String(value);
}

/** The value of a condition key / policy variable for the connection (case-insensitive key). */
function contextValue(key: string, context: PolicyContext): string | boolean | undefined {
  switch (key.toLowerCase()) {
    case 'iot:clientid': return context.clientId;
    case 'iot:connection.thing.thingname': return context.isAttached === false ? undefined : context.thingName;
    case 'iot:connection.thing.isattached': return context.isAttached;
    default: {
      const hit = Object.entries(context.extra ?? {}).find(([k]) => k.toLowerCase() === key.toLowerCase());
      return hit?.[1];
    }
  }
}

/** Matches a token pattern against the whole value (`*` any run, `?` one character). */
function wildcardMatch(tokens: Token[], value: string, caseInsensitive: boolean): boolean {
  const norm = (s: string) => (caseInsensitive ? s.toLowerCase() : s);
  const v = [...norm(value)];
  // Expand the pattern to one element per character (literal) or wildcard, then classic DP with backtracking.
  const p: Array<string | '*' | '?'> = [];
  const isWild: boolean[] = [];
  for (const t of tokens) {
    if ('wildcard' in t) {
      p.push(t.wildcard);
      isWild.push(true);
    } else {
      for (const ch of norm(t.literal)) {
        p.push(ch);
        isWild.push(false);
      }
    }
  }
  let pi = 0;
  let vi = 0;
  let starP = -1;
  let starV = 0;
  while (vi < v.length) {
    if (pi < p.length && isWild[pi] && p[pi] === '*') {
      starP = pi++;
      starV = vi;
    } else if (pi < p.length && ((isWild[pi] && p[pi] === '?') || (!isWild[pi] && p[pi] === v[vi]))) {
      pi++;
      vi++;
    } else if (starP >= 0) {
      pi = starP + 1;
      vi = ++starV;
    } else {
      return false;
    }
  }
  while (pi < p.length && isWild[pi] && p[pi] === '*') pi++;
  return pi === p.length;
}

const NEGATED = new Set(['stringnotequals', 'stringnotequalsignorecase', 'stringnotlike', 'arnnotequals', 'arnnotlike']);
const SUPPORTED = new Set([...NEGATED, 'stringequals', 'stringequalsignorecase', 'stringlike', 'arnequals', 'arnlike', 'bool', 'null']);

function conditionsHold(condition: PolicyStatement['Condition'], context: PolicyContext, notes: string[], ref: StatementRef): boolean {
  if (!condition) return true;
  for (const [rawOperator, keys] of Object.entries(condition)) {
    const ifExists = /IfExists$/i.test(rawOperator);
    const operator = rawOperator.replace(/IfExists$/i, '').toLowerCase();
    if (!SUPPORTED.has(operator)) {
      noteOnce(notes, `${describeStatement(ref)}: condition operator ${rawOperator} is not supported by this evaluator; the statement is treated as not applying`);
      return false;
    }
    for (const [key, rawValues] of Object.entries(keys ?? {})) {
      const actual = contextValue(key, context);
      if (operator === 'null') {
        const wantMissing = asArray(rawValues).some((v) => String(v).toLowerCase() === 'true');
        if ((actual === undefined) !== wantMissing) return false;
        continue;
      }
      if (actual === undefined) {
        if (ifExists || NEGATED.has(operator)) continue;
        return false;
      }
      const substituted = asArray(rawValues).map((raw) => substituteVariables(String(raw), context));
      const patterns: Token[][] = [];
      for (const sub of substituted) {
        if ('unresolved' in sub) {
          noteOnce(notes, `${describeStatement(ref)}: \${${sub.unresolved}} in the condition on ${key} cannot be resolved`);
        } else {
          patterns.push(sub.tokens);
        }
      }
      if (!compare(operator, String(actual), patterns)) return false;
    }
  }
  return true;
}

function tokensToLiteral(tokens: Token[]): string {
  return tokens.map((t) => ('literal' in t ? t.literal : t.wildcard)).join('');
}

function compare(operator: string, actual: string, patterns: Token[][]): boolean {
  const literals = patterns.map(tokensToLiteral);
  switch (operator) {
    case 'stringequals':
    case 'arnequals':
      return literals.some((v) => v === actual);
    case 'stringnotequals':
    case 'arnnotequals':
      return !literals.some((v) => v === actual);
    case 'stringequalsignorecase':
      return literals.some((v) => v.toLowerCase() === actual.toLowerCase());
    case 'stringnotequalsignorecase':
      return !literals.some((v) => v.toLowerCase() === actual.toLowerCase());
    case 'stringlike':
    case 'arnlike':
      return patterns.some((p) => wildcardMatch(p, actual, false));
    case 'stringnotlike':
    case 'arnnotlike':
      return !patterns.some((p) => wildcardMatch(p, actual, false));
    default: // bool
      return literals.some((v) => v.toLowerCase() === actual.toLowerCase());
  }
}

function noteOnce(notes: string[], note: string): void {
  if (!notes.includes(note)) notes.push(note);
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
