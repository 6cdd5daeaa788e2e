/**
 * Reads a cloud assembly (`cdk.out`): the stacks of manifest.json (nested assemblies of stages included), their
 * templates, and the file assets of the asset manifests; resolves the CloudFormation intrinsics the local
 * runner needs (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::Base64) to local names.
 *
 * Local physical names: a resource's name property when it has one (ThingName, BucketName, ...), else its
 * logical id. ARNs use partition `aws`, account `LOCAL_ACCOUNT` and the stack's region (us-east-1 when the stack is
 * environment-agnostic).
 */
import { createHash } from 'crypto';
import { existsSync, readFileSync } from 'fs';
import { join, resolve } from 'path';
import { LOCAL_ACCOUNT } from '../../src/contract';
import { AssemblyError } from '../errors';

export const DEFAULT_REGION = 'us-east-1';

// A problem with the assembly that stops the runner, worded for the user (defined with the runner's other errors).
export { AssemblyError };

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { Default?: unknown }>;
  readonly Outputs?: Record<string, { Value: unknown; Description?: string }>;
}

/** One stack of the assembly. */
export interface StackArtifact {
  /** The artifact id (for stages: `Stage/Stack` display name when there is one). */
  readonly id: string;
  readonly stackName: string;
  readonly displayName: string;
  readonly region: string;
  readonly template: CfnTemplate;
  /** The assembly directory the template and assets are in. */
  readonly dir: string;
  /** File asset hash → absolute path of its staged source. */
  readonly assets: ReadonlyMap<string, string>;
  /** Logical id → construct path, from the manifest's `aws:cdk:logicalId` metadata. */
  readonly paths: ReadonlyMap<string, string>;
}

interface ManifestArtifact {
  type: string;
  environment?: string;
  displayName?: string;
  properties?: { templateFile?: string; stackName?: string; file?: string; directoryName?: string };
  dependencies?: string[];
  metadata?: Record<string, Array<{ type: string; data?: unknown }>>;
}

/** Reads all stacks of the assembly (recursing into nested assemblies). */
export function readAssembly(dir: string): StackArtifact[] {
  const root = resolve(dir);
  const manifestPath = join(root, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new AssemblyError(`${root} is not a cloud assembly: it has no manifest.json. Give --app the cdk.out directory of a synthesized app (run \`cdk synth\` first).`);
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { artifacts?: Record<string, ManifestArtifact> };
  const artifacts = manifest.artifacts ?? {};
  const assets = new Map<string, string>();
  for (const artifact of Object.values(artifacts)) {
    if (artifact.type === 'cdk:asset-manifest' && artifact.properties?.file) {
      readAssetManifest(root, artifact.properties.file, assets);
    }
  }
  const stacks: StackArtifact[] = [];
  for (const [id, artifact] of Object.entries(artifacts)) {
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      const template = JSON.parse(readFileSync(join(root, artifact.properties.templateFile), 'utf8')) as CfnTemplate;
      stacks.push({
        id,
        stackName: artifact.properties.stackName ?? id,
        displayName: artifact.displayName ?? id,
        region: regionOf(artifact.environment),
        template,
        dir: root,
        assets,
        paths: logicalIdPaths(artifact.metadata),
      });
    } else if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      stacks.push(...readAssembly(join(root, artifact.properties.directoryName)));
    }
  }
  return stacks;
}

function logicalIdPaths(metadata: ManifestArtifact['metadata']): Map<string, string> {
  const paths = new Map<string, string>();
  for (const [path, entries] of Object.entries(metadata ?? {})) {
    for (const entry of entries) {
      if (entry.type === 'aws:cdk:logicalId' && typeof entry.data === 'string') paths.set(entry.data, path.replace(/^\//, ''));
    }
  }
  return paths;
}

function readAssetManifest(root: string, file: string, into: Map<string, string>): void {
  const path = join(root, file);
  if (!existsSync(path)) return;
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as { files?: Record<string, { source?: { path?: string } }> };
  for (const [hash, entry] of Object.entries(manifest.files ?? {})) {
    if (entry.source?.path) into.set(hash, join(root, entry.source.path));
  }
}

function regionOf(environment: string | undefined): string {
  const m = /^aws:\/\/[^/]*\/(.+)$/.exec(environment ?? '');
  if (!m || m[1].startsWith('unknown-')) return DEFAULT_REGION;
  return m[1];
}

/** Picks the stacks `--stack` names (stack name, artifact id or display name); all when undefined. */
export function selectStacks(stacks: StackArtifact[], name: string | undefined): StackArtifact[] {
  if (stacks.length === 0) throw new AssemblyError('The cloud assembly has no stacks.');
  if (name === undefined) return stacks;
  const hits = stacks.filter((s) => s.stackName === name || s.id === name || s.displayName === name);
  if (hits.length === 0) {
    throw new AssemblyError(`No stack "${name}" in the cloud assembly; it has: ${stacks.map((s) => s.displayName).join(', ')}.`);
  }
  return hits;
}

/** A value that cannot be resolved locally. */
export class UnresolvableError extends Error {}

/** Physical-name properties per resource type (what `Ref` returns when set). */
const NAME_PROPERTIES: Record<string, string> = {
  'AWS::IoT::Thing': 'ThingName',
  'AWS::IoT::Policy': 'PolicyName',
  'AWS::IoT::TopicRule': 'RuleName',
  'AWS::KinesisFirehose::DeliveryStream': 'DeliveryStreamName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Glue::Database': 'DatabaseInput.Name',
  'AWS::Glue::Table': 'TableInput.Name',
  'AWS::Athena::WorkGroup': 'Name',
};

/** A DNS-compatible bucket name for an S3-compatible endpoint (lowercase logical id, 3–63 characters). */
export function endpointBucketName(logicalId: string): string {
  const name = logicalId.toLowerCase().replace(/[^a-z0-9.-]/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 63).replace(/[^a-z0-9]+$/, '');
  return name.length >= 3 ? name : `${name}-bucket`;
}

export interface ResolverOptions {
  /**
   * Buckets without a BucketName get a lowercase, DNS-compatible name (for --s3-endpoint) instead of their
   * logical id.
   */
  readonly endpointBucketNames?: boolean;
  /**
   * The local names given so far when several stacks are read together (`<type>|<name>` → stack), shared by their
   * resolvers. A resource without a name property is named by its logical id, and two stacks with the same
   * construct paths have the same logical ids, where CloudFormation would give each a unique name: the later
   * stack's resource is then named `<stack name>-<logical id>`.
   */
  readonly claimedNames?: Map<string, string>;
}

/** Resolves intrinsics within one stack. */
export class Resolver {
  public readonly partition = 'aws';
  public readonly account = LOCAL_ACCOUNT;
  private readonly resolving = new Set<string>();
  private readonly names = new Map<string, string>();
  /** Logical ids whose local name was qualified with the stack name (see `claimedNames`). */
  public readonly qualified = new Set<string>();

  constructor(public readonly stack: StackArtifact, private readonly options: ResolverOptions = {}) {}

  public get region(): string {
    return this.stack.region;
  }

  public get resources(): Record<string, CfnResource> {
    return this.stack.template.Resources ?? {};
  }

  /** The construct path of a resource (metadata `aws:cdk:path`), else its logical id. */
  public pathOf(logicalId: string): string {
    const path = this.resources[logicalId]?.Metadata?.['aws:cdk:path'];
    return typeof path === 'string' ? path : this.stack.paths.get(logicalId) ?? logicalId;
  }

  /** `<logicalId> (<construct path>)` for messages. */
  public describe(logicalId: string): string {
    const path = this.pathOf(logicalId);
    return path === logicalId ? logicalId : `${logicalId} (${path})`;
  }

  /** The local physical name of a resource (what Ref returns for named resources). */
  public physicalName(logicalId: string): string {
    const cached = this.names.get(logicalId);
    if (cached !== undefined) return cached;
    const resource = this.resources[logicalId];
    if (!resource) throw new UnresolvableError(`no resource ${logicalId} in stack ${this.stack.displayName}`);
    const prop = NAME_PROPERTIES[resource.Type];
    let name = resource.Type === 'AWS::S3::Bucket' && this.options.endpointBucketNames ? endpointBucketName(logicalId) : logicalId;
    // A dotted property is nested (`TableInput.Name`).
    const declared = prop?.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], resource.Properties);
    let explicit = false;
    if (declared !== undefined) {
      const value = this.resolve(declared);
      if (typeof value === 'string' && value !== '') {
        name = value;
        explicit = true;
      }
    }
    const claims = this.options.claimedNames;
    if (claims && !explicit) {
      const owner = claims.get(`${resource.Type}|${name}`);
      if (owner !== undefined && owner !== this.stack.stackName) {
        const qualified = `${this.stack.stackName}-${logicalId}`;
        name = resource.Type === 'AWS::S3::Bucket' && this.options.endpointBucketNames ? endpointBucketName(qualified) : qualified;
        this.qualified.add(logicalId);
      }
    }
    claims?.set(`${resource.Type}|${name}`, claims.get(`${resource.Type}|${name}`) ?? this.stack.stackName);
    this.names.set(logicalId, name);
    return name;
  }

  /** The local id of a certificate resource: 64 hex characters, like AWS IoT certificate ids. */
  public certificateId(logicalId: string): string {
    return createHash('sha256').update(`${this.stack.stackName}/${logicalId}`).digest('hex');
  }

  public arn(service: string, resource: string, region = this.region, account: string = this.account): string {
    return `arn:${this.partition}:${service}:${region}:${account}:${resource}`;
  }

  /** `Ref` of a logical id or pseudo parameter. */
  public ref(name: string): unknown {
    switch (name) {
      case 'AWS::AccountId': return this.account;
      case 'AWS::Region': return this.region;
      case 'AWS::Partition': return this.partition;
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackName': return this.stack.stackName;
      case 'AWS::StackId': return this.arn('cloudformation', `stack/${this.stack.stackName}/00000000-0000-0000-0000-000000000000`);
      case 'AWS::NoValue': return undefined;
      case 'AWS::NotificationARNs': return [];
      default: break;
    }
    const parameter = this.stack.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined) throw new UnresolvableError(`parameter ${name} has no default value`);
      return parameter.Default;
    }
    const resource = this.resources[name];
    if (!resource) throw new UnresolvableError(`Ref to ${name}, which is not in stack ${this.stack.displayName}`);
    switch (resource.Type) {
      case 'AWS::IoT::Certificate': return this.certificateId(name);
      case 'AWS::SecretsManager::Secret': return this.arn('secretsmanager', `secret:${this.physicalName(name)}`);
      case 'AWS::SNS::Topic': return this.arn('sns', this.physicalName(name));
      default: return this.physicalName(name);
    }
  }

  /** `Fn::GetAtt` of a resource attribute. */
  public getAtt(logicalId: string, attribute: string): unknown {
    const resource = this.resources[logicalId];
    if (!resource) throw new UnresolvableError(`Fn::GetAtt of ${logicalId}, which is not in stack ${this.stack.displayName}`);
    const name = () => this.physicalName(logicalId);
    switch (`${resource.Type}.${attribute}`) {
      case 'AWS::S3::Bucket.Arn': return `arn:${this.partition}:s3:::${name()}`;
      case 'AWS::S3::Bucket.DomainName':
      case 'AWS::S3::Bucket.RegionalDomainName': return `${name()}.s3.${this.region}.amazonaws.com`;
      case 'AWS::KinesisFirehose::DeliveryStream.Arn': return this.arn('firehose', `deliverystream/${name()}`);
      case 'AWS::Lambda::Function.Arn': return this.arn('lambda', `function:${name()}`);
      case 'AWS::IAM::Role.Arn': return `arn:${this.partition}:iam::${this.account}:role/${name()}`;
      case 'AWS::IAM::Role.RoleId': return `AROA${createHash('sha256').update(logicalId).digest('hex').slice(0, 17).toUpperCase()}`;
      case 'AWS::IoT::Thing.Arn': return this.arn('iot', `thing/${name()}`);
      case 'AWS::IoT::Policy.Arn': return this.arn('iot', `policy/${name()}`);
      case 'AWS::IoT::TopicRule.Arn': return this.arn('iot', `rule/${name()}`);
      case 'AWS::IoT::Certificate.Arn': return this.arn('iot', `cert/${this.certificateId(logicalId)}`);
      case 'AWS::IoT::Certificate.Id': return this.certificateId(logicalId);
      case 'AWS::Logs::LogGroup.Arn': return this.arn('logs', `log-group:${name()}:*`);
      case 'AWS::KMS::Key.Arn': return this.arn('kms', `key/${logicalId}`);
      default: break;
    }
    if (resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource') {
      if (attribute === 'CertificateArn') return this.arn('iot', `cert/${this.certificateId(logicalId)}`);
      if (attribute === 'CertificateId') return this.certificateId(logicalId);
    }
    throw new UnresolvableError(`Fn::GetAtt ${logicalId}.${attribute} (${resource.Type}) has no local value`);
  }

  /** Resolves every intrinsic in a value (deeply). */
  public resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v)).filter((v) => v !== undefined);
    if (value === null || typeof value !== 'object') return value;
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1) {
      const [key] = keys;
      const arg = obj[key];
      switch (key) {
        case 'Ref': return this.guard(`Ref:${String(arg)}`, () => this.ref(String(arg)));
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split(/\.(.*)/s);
          return this.guard(`GetAtt:${id}.${attr}`, () => this.getAtt(id, attr));
        }
        case 'Fn::Join': {
          const [sep, list] = arg as [string, unknown];
          const items = this.resolve(list);
          if (!Array.isArray(items)) throw new UnresolvableError('Fn::Join of something that is not a list');
          return items.map((i) => this.scalar(i, 'Fn::Join')).join(sep);
        }
        case 'Fn::Sub': return this.sub(arg);
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          const items = this.resolve(list);
          const i = Number(this.resolve(index));
          if (!Array.isArray(items) || !Number.isInteger(i) || i < 0 || i >= items.length) throw new UnresolvableError('Fn::Select out of range');
          return items[i];
        }
        case 'Fn::Split': {
          const [sep, text] = arg as [string, unknown];
          return this.scalar(this.resolve(text), 'Fn::Split').split(sep);
        }
        case 'Fn::Base64': return Buffer.from(this.scalar(this.resolve(arg), 'Fn::Base64'), 'utf8').toString('base64');
        default:
          if (key.startsWith('Fn::')) throw new UnresolvableError(`${key} is not resolved by the local runner`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const v = this.resolve(obj[key]);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }

  /** Resolves to a string or throws. */
  public resolveString(value: unknown, what: string): string {
    return this.scalar(this.resolve(value), what);
  }

  private scalar(value: unknown, what: string): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new UnresolvableError(`${what}: expected text, got ${JSON.stringify(value)}`);
  }

  private sub(arg: unknown): string {
    const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
    const resolvedVars = new Map<string, string>();
    for (const [k, v] of Object.entries(vars ?? {})) resolvedVars.set(k, this.scalar(this.resolve(v), `Fn::Sub variable ${k}`));
    let out = '';
    let i = 0;
    while (i < text.length) {
      if (text.startsWith('${!', i)) {
        out += '${';
        i += 3;
        continue;
      }
      if (text.startsWith('${', i)) {
        const end = text.indexOf('}', i);
        if (end < 0) throw new UnresolvableError(`Fn::Sub "${text}": unclosed \${`);
        const name = text.slice(i + 2, end).trim();
        if (resolvedVars.has(name)) {out += resolvedVars.get(name);} else if (name.includes('.') && !name.startsWith('AWS::')) {
          const dot = name.indexOf('.');
          out += this.scalar(this.getAtt(name.slice(0, dot), name.slice(dot + 1)), `Fn::Sub \${${name}}`);
        } else {
          out += this.scalar(this.ref(name), `Fn::Sub \${${name}}`);
        }
        i = end + 1;
        continue;
      }
      out += text[i++];
    }
    return out;
  }

  private guard<T>(key: string, fn: () => T): T {
    if (this.resolving.has(key)) throw new UnresolvableError(`circular reference at ${key}`);
    this.resolving.add(key);
    try {
      return fn();
    } finally {
      this.resolving.delete(key);
    }
  }
}
