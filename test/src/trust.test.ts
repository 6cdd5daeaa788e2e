import * as fs from 'fs';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import * as cdk from 'aws-cdk-lib';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cdkNag from 'cdk-nag';
import * as constructs from 'constructs';
import * as ts from 'typescript';
import { Statement } from './template';
import * as src from '../../src';
import {
  ColumnType, IotCoreFirehosePipeline, IotLogLevel, PartitionKey, Parser, ParserDelivery, PayloadFormat, PipelineEncryption, TableFormat,
} from '../../src';
import {
  DOCUMENTED_BUCKET_POLICY_PRINCIPALS, DOCUMENTED_CONDITIONS, DOCUMENTED_TRUSTS, trustTableMarkdown,
} from '../../src/private/trust-catalog';

const ROOT = path.join(__dirname, '..', '..');
const EXAMPLE_APP = path.join(ROOT, 'examples', 'app', 'main.ts');

/** A member of a module namespace (or another object) by name, as a proxy passes it through. */
function memberOf(target: object, p: PropertyKey): unknown {
  return (target as Record<PropertyKey, unknown>)[p];
}

/**
 * The example app's stacks (examples/app/main.ts), built in this process as `cdk synth` would, with the package
 * name resolved to ../../src. The app's own parser bundle (examples/app/build, made by `synth:example`) is replaced
 * by an inline function when it has not been built: its code does not change any policy.
 */
function exampleApp(): App {
  const apps: App[] = [];
  class RecordingApp extends App {
    constructor(props?: cdk.AppProps) {
      super(props);
      apps.push(this);
    }
  }
  const cdkWithRecordingApp = new Proxy(cdk, { get: (target, p): unknown => (p === 'App' ? RecordingApp : memberOf(target, p)) });
  const code = new Proxy(lambda.Code, {
    get: (target, p): unknown => (p === 'fromAsset'
      ? (asset: string, options?: Parameters<typeof lambda.Code.fromAsset>[1]) => (fs.existsSync(asset) ? lambda.Code.fromAsset(asset, options) : lambda.Code.fromInline('exports.handler = async () => ({ records: [] });'))
      : memberOf(target, p)),
  });
  const lambdaWithStubAssets = new Proxy(lambda, { get: (target, p): unknown => (p === 'Code' ? code : memberOf(target, p)) });
  const modules: Record<string, unknown> = {
    'cdk-iot-core-firehose-pipeline': src,
    'aws-cdk-lib': cdkWithRecordingApp,
    'aws-cdk-lib/aws-lambda': lambdaWithStubAssets,
    'aws-cdk-lib/aws-iam': iam,
    'aws-cdk-lib/aws-logs': logs,
    'cdk-nag': cdkNag,
    'constructs': constructs,
    'path': path,
  };
  const js = ts.transpileModule(fs.readFileSync(EXAMPLE_APP, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  const module = { exports: {} };
  const load = (id: string) => {
    if (!(id in modules)) throw new Error(`examples/app/main.ts imports ${id}; add it to the modules of exampleApp() in this test`);
    return modules[id];
  };
  new Function('require', 'module', 'exports', '__dirname', '__filename', js)(load, module, module.exports, path.dirname(EXAMPLE_APP), EXAMPLE_APP);
  expect(apps).toHaveLength(1);
  return apps[0];
}

/** One stack with every option that adds a role or a condition: IoT logging, Parquet, dynamic partitioning, direct delivery, a customer-managed key, a second device, a query grant, a replay. */
function everyOptionApp(): App {
  const app = new App();
  const stack = new Stack(app, 'EveryOption', { env: { account: '123456789012', region: 'eu-west-1' } });
  const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', {
    topic: 'plant/telemetry',
    encryption: PipelineEncryption.customerManaged(),
    iotLogging: IotLogLevel.WARN,
    dynamicPartitioning: true,
    buffering: { interval: Duration.seconds(60), size: Size.mebibytes(64) },
    parser: Parser.reference({ partitionKeys: [PartitionKey.topicLevel('device', 2)] }),
    table: { columns: [{ name: 'temp', type: ColumnType.DOUBLE }], format: TableFormat.parquet() },
  });
  pipeline.addDevice('Second');
  pipeline.grantQuery(new iam.Role(stack, 'Analyst', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
  const direct = new IotCoreFirehosePipeline(stack, 'Direct', {
    topic: 'direct',
    basicIngest: true,
    encryption: PipelineEncryption.customerManaged(),
    parser: Parser.reference({ delivery: ParserDelivery.direct() }),
  });
  direct.addReplay('Replay');
  new IotCoreFirehosePipeline(stack, 'Protobuf', {
    topic: 'meters',
    payload: PayloadFormat.protobuf({ descriptorSet: path.join(ROOT, 'test', 'fixtures', 'protobuf', 'telemetry.binpb'), messageType: 'factory.v1.Telemetry' }),
  });
  return app;
}

/** The intrinsics `render` reads: a reference to a pseudo parameter, a join. */
interface Intrinsic {
  readonly 'Ref'?: unknown;
  readonly 'Fn::Join'?: [string, unknown[]];
}

/** A template value as text: `<region>` for the region, joins joined; anything else as JSON (for the finding's message). */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = (value ?? {}) as Intrinsic;
  if (v.Ref === 'AWS::Region') return '<region>';
  if (v.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
  const join = v['Fn::Join'];
  if (Array.isArray(join)) return join[1].map(render).join(join[0]);
  return JSON.stringify(value);
}

/** A policy document as a synthesized template holds it: `Statement` is one statement or a list. */
interface TemplatePolicyDocument {
  readonly Statement?: Statement | Statement[];
}

/** The properties of the resources that hold policy documents, as far as `undocumented` reads them. */
interface PolicyHolderProperties {
  readonly AssumeRolePolicyDocument?: TemplatePolicyDocument;
  readonly Policies?: Array<{ readonly PolicyDocument: TemplatePolicyDocument }>;
  readonly PolicyDocument?: TemplatePolicyDocument;
  readonly KeyPolicy?: TemplatePolicyDocument;
  readonly ResourcePolicy?: TemplatePolicyDocument;
}
interface SynthesizedResource {
  readonly Type: string;
  readonly Properties?: PolicyHolderProperties;
}

function statementsOf(document: TemplatePolicyDocument | undefined): Statement[] {
  return document?.Statement === undefined ? [] : [document.Statement].flat();
}

function conditionKeys(statement: Statement): string[] {
  return Object.values(statement.Condition ?? {}).flatMap((byKey) => Object.keys(byKey));
}

/** The policy documents of a resource other than a role's trust policy. */
function policyDocuments(resource: SynthesizedResource): Array<TemplatePolicyDocument | undefined> {
  const p: PolicyHolderProperties = resource.Properties ?? {};
  switch (resource.Type) {
    case 'AWS::IAM::Role': return (p.Policies ?? []).map((policy) => policy.PolicyDocument);
    case 'AWS::IAM::Policy':
    case 'AWS::IAM::ManagedPolicy':
    case 'AWS::S3::BucketPolicy':
    case 'AWS::IoT::Policy': return [p.PolicyDocument];
    case 'AWS::KMS::Key': return [p.KeyPolicy];
    case 'AWS::SecretsManager::ResourcePolicy': return [p.ResourcePolicy];
    default: return [];
  }
}

interface Finding { readonly where: string; readonly problem: string }

/** A bucket policy's Allow statement to a service principal, checked against the catalog's bucket-policy principals. */
function checkBucketPolicyPrincipals(statement: Statement, where: string, findings: Finding[], found: Set<string>): void {
  if (statement.Effect !== 'Allow') return;
  for (const principal of [statement.Principal?.Service ?? []].flat().map(render)) {
    const documented = DOCUMENTED_BUCKET_POLICY_PRINCIPALS.find((b) => b.principal === principal);
    const keys = conditionKeys(statement).sort();
    if (!documented) {
      findings.push({ where, problem: `its bucket policy allows ${principal}, which the catalog does not hold` });
    } else if (!isDeepStrictEqual(keys, [...documented.conditionKeys].sort())) {
      findings.push({ where, problem: `its bucket policy allows ${principal} on [${keys.join(', ')}]; the catalog documents [${documented.conditionKeys.join(', ')}]` });
    } else {
      found.add(principal);
    }
  }
}

/** Every trust principal, trust condition key, bucket-policy service principal and policy condition key of the templates that the catalog does not hold. */
function undocumented(app: App): { findings: Finding[]; trusts: Set<string>; conditions: Set<string>; bucketPrincipals: Set<string> } {
  const assembly = app.synth();
  const findings: Finding[] = [];
  const trusts = new Set<string>();
  const conditions = new Set<string>();
  const bucketPrincipals = new Set<string>();
  for (const stack of assembly.stacks) {
    const resources = (stack.template as { readonly Resources?: Record<string, SynthesizedResource> }).Resources ?? {};
    for (const [id, resource] of Object.entries(resources)) {
      const where = `${stack.stackName}/${id}`;
      if (resource.Type === 'AWS::IAM::Role') {
        for (const statement of statementsOf(resource.Properties?.AssumeRolePolicyDocument)) {
          const principals = Object.entries<unknown>(statement.Principal ?? {});
          for (const [kind, value] of principals) {
            for (const principal of [value].flat().map(render)) {
              if (kind !== 'Service') {
                findings.push({ where, problem: `trusts the ${kind} principal ${principal}; only the service principals of the catalog are documented` });
                continue;
              }
              const trust = DOCUMENTED_TRUSTS.find((t) => t.principal === principal);
              const keys = conditionKeys(statement).sort();
              if (!trust) {
                findings.push({ where, problem: `trusts ${principal}, which the catalog does not hold` });
              } else if (!isDeepStrictEqual(keys, [...trust.conditionKeys].sort())) {
                findings.push({ where, problem: `trusts ${principal} on [${keys.join(', ')}]; the catalog documents [${trust.conditionKeys.join(', ')}]` });
              } else {
                trusts.add(principal);
              }
            }
          }
        }
      }
      for (const document of policyDocuments(resource)) {
        for (const statement of statementsOf(document)) {
          if (resource.Type === 'AWS::S3::BucketPolicy') checkBucketPolicyPrincipals(statement, where, findings, bucketPrincipals);
          for (const key of conditionKeys(statement)) {
            if (DOCUMENTED_CONDITIONS.some((c) => c.key === key)) conditions.add(key);
            else findings.push({ where, problem: `uses the condition key ${key}, which the catalog does not hold` });
          }
        }
      }
    }
  }
  return { findings, trusts, conditions, bucketPrincipals };
}

describe('documented trust only', () => {
  test('GIVEN every example stack WHEN synthesized THEN every trust principal, trust condition and condition key is one the catalog documents', () => {
    // GIVEN / WHEN
    const app = exampleApp();
    expect(app.node.children.filter(Stack.isStack).map((s) => s.stackName).sort())
      .toEqual(['BinaryDevicesExample', 'IotTelemetryExample', 'QueryableParquetExample', 'TwoCustomersExample']);
    // THEN
    expect(undocumented(app).findings).toEqual([]);
  });

  test('GIVEN a stack with every option WHEN synthesized THEN it holds only documented trusts and conditions, and every catalog row is used', () => {
    const { findings, trusts, conditions, bucketPrincipals } = undocumented(everyOptionApp());
    expect(findings).toEqual([]);
    expect([...bucketPrincipals].sort()).toEqual(DOCUMENTED_BUCKET_POLICY_PRINCIPALS.map((b) => b.principal).sort());
    // no stale row: every documented trust and condition key appears in a template
    expect([...trusts].sort()).toEqual(DOCUMENTED_TRUSTS.map((t) => t.principal).sort());
    expect([...conditions].sort()).toEqual(DOCUMENTED_CONDITIONS.map((c) => c.key).sort());
  });

  test('GIVEN a trust or condition the catalog does not hold WHEN checked THEN the check names it', () => {
    // GIVEN: a role trusted by an undocumented principal and one with an undocumented trust condition
    const app = new App();
    const stack = new Stack(app, 'Bad');
    new iam.Role(stack, 'Ecs', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    new iam.Role(stack, 'Firehose', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': '123456789012' } } }),
    });
    const role = new iam.Role(stack, 'Lambda', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'], conditions: { StringEquals: { 's3:delimiter': 'x' } } }));
    // a bucket that lets AWS IoT read without the conditions, and one that lets an undocumented service in
    const bucket = new s3.Bucket(stack, 'Schemas');
    bucket.addToResourcePolicy(new iam.PolicyStatement({ principals: [new iam.ServicePrincipal('iot.amazonaws.com')], actions: ['s3:Get*'], resources: [bucket.arnForObjects('*')] }));
    bucket.addToResourcePolicy(new iam.PolicyStatement({ principals: [new iam.ServicePrincipal('glue.amazonaws.com')], actions: ['s3:GetObject'], resources: [bucket.arnForObjects('*')] }));
    // WHEN
    const problems = undocumented(app).findings.map((f) => `${f.where}: ${f.problem}`);
    // THEN
    expect(problems).toEqual([
      expect.stringMatching(/^Bad\/Ecs.*: trusts ecs-tasks\.amazonaws\.com, which the catalog does not hold$/),
      expect.stringMatching(/^Bad\/Firehose.*: trusts firehose\.amazonaws\.com on \[aws:SourceAccount\]; the catalog documents \[sts:ExternalId\]$/),
      expect.stringMatching(/^Bad\/Lambda.*: uses the condition key s3:delimiter, which the catalog does not hold$/),
      expect.stringMatching(/^Bad\/Schemas.*: its bucket policy allows iot\.amazonaws\.com on \[\]; the catalog documents \[aws:SourceAccount, aws:SourceArn\]$/),
      expect.stringMatching(/^Bad\/Schemas.*: its bucket policy allows glue\.amazonaws\.com, which the catalog does not hold$/),
    ]);
  });

  test('GIVEN the catalog WHEN the README is read THEN its "Why each trust and condition" tables are the catalog\'s', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Why each trust and condition'));
    // On a mismatch, paste trustTableMarkdown() (src/private/trust-catalog.ts) into that README section.
    expect(section).toContain(trustTableMarkdown());
    // every row names an AWS documentation page
    const pages = [...DOCUMENTED_TRUSTS, ...DOCUMENTED_CONDITIONS, ...DOCUMENTED_BUCKET_POLICY_PRINCIPALS].map((row) => row.page);
    for (const row of pages) {
      expect(row).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
    }
  });
});
