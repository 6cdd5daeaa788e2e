/**
 * The local model of the synthesized pipeline(s): what the runner needs from the templates, resolved to local
 * names. Everything the runner cannot run faithfully fails here, at start, naming the resource and its construct
 * path; what it merely does not model (alarms, log groups, roles, ...) is ignored.
 */
import { existsSync, mkdirSync, writeFileSync } from 'fs';
import { basename, join } from 'path';
import { AssemblyError, CfnResource, endpointBucketName, readAssembly, Resolver, selectStacks, StackArtifact, UnresolvableError } from './cloud-assembly';
import { loadTable, TableError, TableModel } from './table';
import { compressionExtension, IOT_SQL_VERSION, LOCAL_ACCOUNT, PrefixError, PROCESSOR_DEFAULTS } from '../../src/contract';
import { compileStreamPrefix, StreamPrefix } from '../firehose/keys';
import { parsePolicyDocument } from '../iot/policy';
import type { PolicyDocument } from '../iot/policy';
import { compileSql, compileTemplate, SqlError, SqlStatement, SubstitutionTemplate } from '../iot/sql';

export interface ThingModel {
  readonly name: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly path: string;
}

export interface PolicyModel {
  readonly name: string;
  readonly document: PolicyDocument;
  readonly path: string;
}

/** Where objects go: a bucket of the stack (folder = logical id) or an imported one (folder = its name). */
export interface BucketRef {
  /** The bucket name as the template resolves it locally (logical id unless BucketName is set). */
  readonly name: string;
  /** The folder under `<data-dir>/s3/`. */
  readonly folder: string;
  /** The bucket name used with --s3-endpoint (lowercase, DNS-compatible). */
  readonly endpointName: string;
}

export type ActionModel =
  | { readonly kind: 'firehose'; readonly streamName: string; readonly separator?: string; readonly batchMode: boolean }
  | { readonly kind: 's3'; readonly bucket: BucketRef; readonly key: SubstitutionTemplate }
  | { readonly kind: 'unsupported'; readonly type: string };

export interface RuleModel {
  readonly name: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly path: string;
  readonly sql: SqlStatement;
  readonly disabled: boolean;
  readonly actions: ActionModel[];
  readonly errorAction?: ActionModel;
}

export interface BufferingModel {
  readonly intervalMs: number;
  readonly sizeBytes: number;
}

export interface S3TargetModel {
  readonly bucket: BucketRef;
  readonly prefix: StreamPrefix;
  /** ErrorOutputPrefix, with Firehose's default `<error-output-type>/yyyy/MM/dd/HH/` when absent. */
  readonly errorPrefix: StreamPrefix;
  readonly buffering: BufferingModel;
  readonly compression: 'UNCOMPRESSED' | 'GZIP';
  /** The extension of the objects: FileExtension, else the compression's. */
  readonly extension: string;
  readonly timeZone?: string;
}

export interface ProcessorModel {
  readonly functionArn: string;
  /** The invoked ARN as Firehose reports it in error records (`...:function:<name>:$LATEST`). */
  readonly lambdaArn: string;
  readonly bufferSizeBytes: number;
  readonly bufferIntervalMs: number;
  readonly retries: number;
}

/**
 * Record format conversion (`DataFormatConversionConfiguration`): JSON in, Parquet out, with the schema of a Glue
 * table of the assembly.
 */
export interface ConversionModel {
  /** The Glue table whose columns are the schema (`SchemaConfiguration`). */
  readonly table: TableModel;
  readonly deserializer:
  | { readonly kind: 'openx'; readonly caseInsensitive: boolean; readonly mappings: Record<string, string>; readonly dotsToUnderscores: boolean }
  | { readonly kind: 'hive'; readonly timestampFormats: readonly string[] };
  /** ParquetSerDe.Compression (Firehose's default: SNAPPY). */
  readonly compression: 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED';
  /** ParquetSerDe.EnableDictionaryCompression (default true). */
  readonly dictionary: boolean;
  /** ParquetSerDe.PageSizeBytes (default 1 MiB). */
  readonly pageSizeBytes: number;
  /** What Firehose names in a format-conversion-failed record (`dataCatalogTable`). */
  readonly catalog: {
    readonly catalogId?: string;
    readonly databaseName: string;
    readonly tableName: string;
    readonly region: string;
    readonly versionId: string;
    readonly roleArn?: string;
  };
}

export interface StreamModel {
  readonly name: string;
  readonly arn: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly path: string;
  readonly region: string;
  readonly destination: S3TargetModel;
  readonly dynamicPartitioning: boolean;
  readonly processor?: ProcessorModel;
  readonly backup?: S3TargetModel;
  /** Record format conversion to Parquet, when the stream asks for it. */
  readonly conversion?: ConversionModel;
}

export interface FunctionModel {
  readonly arn: string;
  readonly name: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly path: string;
  readonly runtime: string;
  readonly handler: string;
  /** The directory holding the code (the staged asset, or a folder the inline code was written to). */
  readonly codeDir: string;
  readonly environment: Record<string, string>;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  readonly region: string;
}

export interface LocalModel {
  readonly stacks: string[];
  readonly region: string;
  readonly account: string;
  readonly things: Map<string, ThingModel>;
  readonly policies: Map<string, PolicyModel>;
  /** Thing name → policy names attached to the certificates attached to the thing. */
  readonly thingPolicies: Map<string, string[]>;
  readonly rules: RuleModel[];
  readonly streams: Map<string, StreamModel>;
  readonly functions: Map<string, FunctionModel>;
  readonly buckets: Map<string, BucketRef>;
  /** Glue tables by `<database>.<table>` (lowercase, as queries name them); always set by `loadModel`. */
  readonly tables?: Map<string, TableModel>;
  /** Resolved stack outputs (`<stack>.<output>` → value), when resolvable. */
  readonly outputs: Record<string, string>;
  readonly warnings: string[];
}

export interface LoadOptions {
  readonly app: string;
  readonly stack?: string;
  /** Overrides every buffering and processor interval (ms). */
  readonly bufferIntervalMs?: number;
  /** Where inline Lambda code (Code.ZipFile) is written. */
  readonly scratchDir: string;
  /** Buckets are on an S3-compatible endpoint: unnamed buckets get lowercase names (see endpointBucketName). */
  readonly endpointBucketNames?: boolean;
}

const MIB = 1024 * 1024;

/** Firehose's own buffering hints of an S3 destination without BufferingHints (the construct always sets them). */
const FIREHOSE_S3_BUFFERING_DEFAULTS = { intervalSeconds: 300, sizeMiB: 5 } as const;

/** Reads the assembly and builds the model; throws AssemblyError with what to fix. */
export function loadModel(options: LoadOptions): LocalModel {
  const stacks = selectStacks(readAssembly(options.app), options.stack);
  const claimedNames = new Map<string, string>();
  const model: LocalModel = {
    stacks: stacks.map((s) => s.displayName),
    region: stacks[0].region,
    account: LOCAL_ACCOUNT,
    things: new Map(),
    policies: new Map(),
    thingPolicies: new Map(),
    rules: [],
    streams: new Map(),
    functions: new Map(),
    buckets: new Map(),
    tables: new Map(),
    outputs: {},
    warnings: [],
  };
  for (const stack of stacks) loadStack(stack, model, options, claimedNames);
  return model;
}

function loadStack(stack: StackArtifact, model: LocalModel, options: LoadOptions, claimedNames: Map<string, string>): void {
  const r = new Resolver(stack, { endpointBucketNames: options.endpointBucketNames, claimedNames });
  const resources = r.resources;
  const fail = (logicalId: string, message: string): never => {
    throw new AssemblyError(`${stack.displayName}: ${r.describe(logicalId)}: ${message}`);
  };
  const attempt = <T>(logicalId: string, what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof UnresolvableError || e instanceof PrefixError || e instanceof SqlError) {
        return fail(logicalId, `${what}: ${e.message}`);
      }
      throw e;
    }
  };
  const byType = (type: string) => Object.entries(resources).filter(([, res]) => res.Type === type);

  // buckets
  for (const [id] of byType('AWS::S3::Bucket')) {
    model.buckets.set(...bucketEntry(r, id, options.endpointBucketNames));
  }
  const bucketOf = (value: unknown, logicalId: string, what: string, isArn: boolean): BucketRef => {
    const text = attempt(logicalId, what, () => r.resolveString(value, what));
    const name = isArn ? text.replace(/^arn:[^:]+:s3:::/, '') : text;
    return model.buckets.get(name) ?? { name, folder: sanitizeFolder(name), endpointName: name };
  };

  // things
  for (const [id] of byType('AWS::IoT::Thing')) {
    const name = r.physicalName(id);
    if (model.things.has(name)) fail(id, `thing name "${name}" is also used by ${model.things.get(name)!.path}`);
    model.things.set(name, { name, stack: stack.displayName, logicalId: id, path: r.pathOf(id) });
  }

  // policies. A policy without a PolicyName is named by its logical id locally, and two stacks with the same
  // construct paths have the same ids (CloudFormation would give each a unique name): a later stack's policy is
  // then kept under `<stack>:<name>`, and its attachments point there.
  const policyKeys = new Map<string, string>();
  for (const [id, res] of byType('AWS::IoT::Policy')) {
    const name = r.physicalName(id);
    const key = model.policies.has(name) && res.Properties?.PolicyName === undefined ? `${stack.displayName}:${name}` : name;
    policyKeys.set(name, key);
    const document = attempt(id, 'PolicyDocument', () => r.resolve(res.Properties?.PolicyDocument));
    let parsed: PolicyDocument;
    try {
      parsed = parsePolicyDocument(typeof document === 'string' ? document : (document as PolicyDocument), name);
    } catch (e) {
      return fail(id, (e as Error).message);
    }
    model.policies.set(key, { name, document: parsed, path: r.pathOf(id) });
  }

  // attachments: principal (certificate ARN) → things and policies
  const principalThings = new Map<string, Set<string>>();
  const principalPolicies = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, key: string, value: string) => {
    if (!map.has(key)) map.set(key, new Set());
    map.get(key)!.add(value);
  };
  for (const [id, res] of byType('AWS::IoT::ThingPrincipalAttachment')) {
    const principal = attempt(id, 'Principal', () => r.resolveString(res.Properties?.Principal, 'Principal'));
    const thing = attempt(id, 'ThingName', () => r.resolveString(res.Properties?.ThingName, 'ThingName'));
    add(principalThings, principal, thing);
  }
  for (const [id, res] of byType('AWS::IoT::PolicyPrincipalAttachment')) {
    const principal = attempt(id, 'Principal', () => r.resolveString(res.Properties?.Principal, 'Principal'));
    const policy = attempt(id, 'PolicyName', () => r.resolveString(res.Properties?.PolicyName, 'PolicyName'));
    add(principalPolicies, principal, policy);
  }
  for (const [principal, things] of principalThings) {
    for (const thing of things) {
      const list = model.thingPolicies.get(thing) ?? [];
      for (const name of principalPolicies.get(principal) ?? []) {
        const policy = policyKeys.get(name) ?? name;
        if (!list.includes(policy)) list.push(policy);
      }
      model.thingPolicies.set(thing, list);
    }
  }

  // functions
  for (const [id, res] of byType('AWS::Lambda::Function')) {
    const fn = attempt(id, 'function', () => loadFunction(r, id, res, options.scratchDir));
    if (fn) model.functions.set(fn.arn, fn);
  }

  const tables = model.tables ?? new Map<string, TableModel>();
  loadTables(r, { tables }, bucketOf, fail);

  // delivery streams
  for (const [id, res] of byType('AWS::KinesisFirehose::DeliveryStream')) {
    const stream = attempt(id, 'delivery stream', () => loadStream(r, id, res, options, bucketOf, model.warnings, tables));
    if (stream.processor && !model.functions.has(stream.processor.functionArn)) {
      fail(id, `its processor invokes ${stream.processor.functionArn}, which is not a function of the stack(s) being run`);
    }
    model.streams.set(stream.name, stream);
  }

  // topic rules
  for (const [id, res] of byType('AWS::IoT::TopicRule')) {
    model.rules.push(attempt(id, 'topic rule', () => loadRule(r, id, res, bucketOf, model.warnings)));
  }

  // outputs (best effort)
  for (const [name, output] of Object.entries(stack.template.Outputs ?? {})) {
    try {
      model.outputs[`${stack.displayName}.${name}`] = r.resolveString(output.Value, name);
    } catch {
      // not resolvable locally (e.g. the data endpoint lookup); the runner fills in what it knows
    }
  }
}

function loadFunction(r: Resolver, id: string, res: CfnResource, scratchDir: string): FunctionModel | undefined {
  const props = res.Properties ?? {};
  const runtime = String(props.Runtime ?? '');
  const handler = String(props.Handler ?? 'index.handler');
  const code = (props.Code ?? {}) as Record<string, unknown>;
  let codeDir: string | undefined;
  const assetPath = res.Metadata?.['aws:asset:path'];
  if (typeof code.ZipFile === 'string' || (code.ZipFile && typeof code.ZipFile === 'object')) {
    const source = r.resolveString(code.ZipFile, 'Code.ZipFile');
    codeDir = join(scratchDir, 'inline-code', `${r.stack.stackName}-${id}`);
    mkdirSync(codeDir, { recursive: true });
    const module = handler.slice(0, handler.lastIndexOf('.')) || 'index';
    writeFileSync(join(codeDir, `${module}${runtime.startsWith('python') ? '.py' : '.js'}`), source);
  } else if (code.S3Key !== undefined) {
    const key = r.resolveString(code.S3Key, 'Code.S3Key');
    const hash = basename(key).replace(/\.(zip|jar)$/, '');
    codeDir = r.stack.assets.get(hash) ?? join(r.stack.dir, `asset.${hash}`);
    if (!existsSync(codeDir) && typeof assetPath === 'string') codeDir = join(r.stack.dir, assetPath);
  } else if (typeof assetPath === 'string') {
    codeDir = join(r.stack.dir, assetPath);
  }
  if (props.PackageType === 'Image' || code.ImageUri !== undefined) return undefined;
  const name = r.physicalName(id);
  const environment: Record<string, string> = {};
  const vars = (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  for (const [k, v] of Object.entries(vars)) {
    try {
      environment[k] = r.resolveString(v, `environment variable ${k}`);
    } catch (e) {
      environment[k] = `<unresolved: ${(e as Error).message}>`;
    }
  }
  return {
    arn: r.arn('lambda', `function:${name}`),
    name,
    stack: r.stack.displayName,
    logicalId: id,
    path: r.pathOf(id),
    runtime,
    handler,
    codeDir: codeDir ?? '',
    environment,
    timeoutMs: Number(props.Timeout ?? 3) * 1000,
    memoryMb: Number(props.MemorySize ?? 128),
    region: r.region,
  };
}

type BucketOf = (value: unknown, logicalId: string, what: string, isArn: boolean) => BucketRef;

/**
 * The Glue tables of a stack (`AWS::Glue::Table`), by `<database>.<table>`. A table whose location cannot be
 * resolved fails, naming it; two tables with one name in the stacks being run fail too.
 */
function loadTables(
  r: Resolver, model: { tables: Map<string, TableModel> }, bucketOf: BucketOf, fail: (logicalId: string, message: string) => never,
): void {
  for (const [id, res] of Object.entries(r.resources).filter(([, x]) => x.Type === 'AWS::Glue::Table')) {
    let table: TableModel;
    try {
      const props = res.Properties ?? {};
      table = loadTable({
        database: r.resolveString(props.DatabaseName, 'DatabaseName'),
        stack: r.stack.displayName,
        logicalId: id,
        path: r.pathOf(id),
        input: r.resolve(props.TableInput ?? {}) as Record<string, any>,
        bucketOf: (name) => bucketOf(name, id, 'StorageDescriptor.Location', false),
      });
    } catch (e) {
      if (e instanceof UnresolvableError || e instanceof TableError) return fail(id, `Glue table: ${e.message}`);
      throw e;
    }
    const other = model.tables.get(table.qualifiedName);
    if (other) fail(id, `Glue table ${table.qualifiedName} is also defined by ${other.path} (stack ${other.stack})`);
    model.tables.set(table.qualifiedName, table);
  }
}

export interface LoadTablesOptions {
  readonly app: string;
  readonly stack?: string;
}

/**
 * Only the Glue tables of the assembly and the buckets they are in (what `cdk-iot-pipeline query --app` needs):
 * no functions are staged, no stream or rule is compiled.
 */
export function loadTableModels(options: LoadTablesOptions): Map<string, TableModel> {
  const tables = new Map<string, TableModel>();
  const claimedNames = new Map<string, string>();
  for (const stack of selectStacks(readAssembly(options.app), options.stack)) {
    // Bucket folders are named as the runner names them (the same stacks in the same order: the same names).
    const r = new Resolver(stack, { claimedNames });
    const buckets = new Map<string, BucketRef>();
    for (const [id, res] of Object.entries(r.resources)) {
      if (res.Type === 'AWS::S3::Bucket') buckets.set(...bucketEntry(r, id, false));
    }
    const fail = (logicalId: string, message: string): never => {
      throw new AssemblyError(`${stack.displayName}: ${r.describe(logicalId)}: ${message}`);
    };
    const bucketOf: BucketOf = (value, logicalId, what) => {
      const name = (() => {
        try {
          return r.resolveString(value, what);
        } catch (e) {
          return fail(logicalId, `${what}: ${(e as Error).message}`);
        }
      })();
      return buckets.get(name) ?? { name, folder: sanitizeFolder(name), endpointName: name };
    };
    loadTables(r, { tables }, bucketOf, fail);
  }
  return tables;
}

function loadStream(
  r: Resolver, id: string, res: CfnResource, options: LoadOptions, bucketOf: BucketOf, warnings: string[], tables: Map<string, TableModel>,
): StreamModel {
  const props = r.resolve(res.Properties ?? {}) as Record<string, any>;
  const name = r.physicalName(id);
  const where = r.describe(id);
  const type = props.DeliveryStreamType ?? 'DirectPut';
  if (type !== 'DirectPut') warnings.push(`${where}: DeliveryStreamType ${type}: the local runner only feeds it from IoT rule actions`);
  const ext = props.ExtendedS3DestinationConfiguration ?? props.S3DestinationConfiguration;
  if (!ext) {
    throw new UnresolvableError('only S3 destinations (ExtendedS3DestinationConfiguration) are run locally');
  }
  const dynamicPartitioning = ext.DynamicPartitioningConfiguration?.Enabled === true || ext.DynamicPartitioningConfiguration?.Enabled === 'true';
  const destination = s3Target(ext, bucketOf, id, options, dynamicPartitioning, true);
  const conversion = loadConversion(ext.DataFormatConversionConfiguration, tables, r.region);
  if (conversion && destination.compression !== 'UNCOMPRESSED') {
    throw new UnresolvableError(`CompressionFormat ${destination.compression} with record format conversion: Firehose requires UNCOMPRESSED (the Parquet serializer compresses)`);
  }
  let processor: ProcessorModel | undefined;
  const processing = ext.ProcessingConfiguration;
  if (processing && processing.Enabled !== false && processing.Enabled !== 'false') {
    for (const p of processing.Processors ?? []) {
      const params = Object.fromEntries((p.Parameters ?? []).map((x: any) => [x.ParameterName, String(x.ParameterValue)]));
      if (p.Type === 'Lambda') {
        if (processor) throw new UnresolvableError('more than one Lambda processor');
        const functionArn = String(params.LambdaArn ?? '').replace(/:\$LATEST$/, '');
        processor = {
          functionArn,
          lambdaArn: `${functionArn}:$LATEST`,
          bufferSizeBytes: Math.round(Number(params.BufferSizeInMBs ?? PROCESSOR_DEFAULTS.bufferSizeMiB) * MIB),
          bufferIntervalMs: options.bufferIntervalMs ?? Number(params.BufferIntervalInSeconds ?? PROCESSOR_DEFAULTS.bufferIntervalSeconds) * 1000,
          retries: Number(params.NumberOfRetries ?? PROCESSOR_DEFAULTS.retries),
        };
      } else if (p.Type === 'AppendDelimiterToRecord' || p.Type === 'RecordDeAggregation' || p.Type === 'MetadataExtraction') {
        throw new UnresolvableError(`the ${p.Type} processor is not supported by the local runner`);
      }
    }
  }
  let backup: S3TargetModel | undefined;
  if (ext.S3BackupMode === 'Enabled' && ext.S3BackupConfiguration) {
    backup = s3Target(ext.S3BackupConfiguration, bucketOf, id, options, false, false);
  }
  return {
    name,
    arn: r.arn('firehose', `deliverystream/${name}`),
    stack: r.stack.displayName,
    logicalId: id,
    path: r.pathOf(id),
    region: r.region,
    destination,
    dynamicPartitioning,
    processor,
    backup,
    conversion,
  };
}

/** `DataFormatConversionConfiguration` (undefined when absent or disabled). */
function loadConversion(c: any, tables: Map<string, TableModel>, region: string): ConversionModel | undefined {
  if (!c || c.Enabled === false || c.Enabled === 'false') return undefined;
  const schema = c.SchemaConfiguration ?? {};
  const qualified = `${String(schema.DatabaseName ?? '').toLowerCase()}.${String(schema.TableName ?? '').toLowerCase()}`;
  const table = tables.get(qualified);
  if (!table) {
    throw new UnresolvableError(`record format conversion reads its schema from the Glue table ${qualified}, which is not a table of the stack(s) being run`);
  }
  const input = c.InputFormatConfiguration?.Deserializer ?? {};
  const output = c.OutputFormatConfiguration?.Serializer ?? {};
  if (output.OrcSerDe) throw new UnresolvableError('record format conversion to ORC is not supported by the local runner (Parquet is)');
  const parquet = output.ParquetSerDe ?? {};
  const compression = String(parquet.Compression ?? 'SNAPPY').toUpperCase();
  if (compression !== 'SNAPPY' && compression !== 'GZIP' && compression !== 'UNCOMPRESSED') {
    throw new UnresolvableError(`ParquetSerDe.Compression ${compression} is not one of SNAPPY, GZIP, UNCOMPRESSED`);
  }
  let deserializer: ConversionModel['deserializer'];
  if (input.HiveJsonSerDe) {
    deserializer = { kind: 'hive', timestampFormats: (input.HiveJsonSerDe.TimestampFormats ?? []).map(String) };
  } else {
    const openx = input.OpenXJsonSerDe ?? {};
    deserializer = {
      kind: 'openx',
      caseInsensitive: openx.CaseInsensitive !== false && openx.CaseInsensitive !== 'false',
      mappings: Object.fromEntries(Object.entries(openx.ColumnToJsonKeyMappings ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
      dotsToUnderscores: openx.ConvertDotsInJsonKeysToUnderscores === true || openx.ConvertDotsInJsonKeysToUnderscores === 'true',
    };
  }
  return {
    table,
    deserializer,
    compression,
    dictionary: parquet.EnableDictionaryCompression !== false && parquet.EnableDictionaryCompression !== 'false',
    pageSizeBytes: Number(parquet.PageSizeBytes ?? MIB),
    catalog: {
      catalogId: schema.CatalogId === undefined ? undefined : String(schema.CatalogId),
      databaseName: table.database,
      tableName: table.name,
      region: String(schema.Region ?? region),
      versionId: String(schema.VersionId ?? 'LATEST'),
      roleArn: schema.RoleARN === undefined ? undefined : String(schema.RoleARN),
    },
  };
}

function s3Target(
  c: any, bucketOf: BucketOf, id: string, options: LoadOptions, dynamicPartitioning: boolean, allowExtension: boolean,
): S3TargetModel {
  const compression = String(c.CompressionFormat ?? 'UNCOMPRESSED');
  if (compression !== 'UNCOMPRESSED' && compression !== 'GZIP') {
    throw new UnresolvableError(`compression ${compression} is not supported by the local runner (GZIP and UNCOMPRESSED are)`);
  }
  const prefix = compileStreamPrefix(c.Prefix, { dynamicPartitioning });
  const errorPrefix = compileStreamPrefix(c.ErrorOutputPrefix, { errorOutput: true });
  const hints = c.BufferingHints ?? {};
  return {
    bucket: bucketOf(c.BucketARN, id, 'BucketARN', true),
    prefix,
    errorPrefix,
    buffering: {
      intervalMs: options.bufferIntervalMs ?? Number(hints.IntervalInSeconds ?? FIREHOSE_S3_BUFFERING_DEFAULTS.intervalSeconds) * 1000,
      sizeBytes: Math.round(Number(hints.SizeInMBs ?? FIREHOSE_S3_BUFFERING_DEFAULTS.sizeMiB) * MIB),
    },
    compression: compression as 'UNCOMPRESSED' | 'GZIP',
    extension: allowExtension && typeof c.FileExtension === 'string' && c.FileExtension !== '' ? c.FileExtension : compressionExtension(compression),
    timeZone: typeof c.CustomTimeZone === 'string' && c.CustomTimeZone !== '' ? c.CustomTimeZone : undefined,
  };
}

function loadRule(r: Resolver, id: string, res: CfnResource, bucketOf: BucketOf, warnings: string[]): RuleModel {
  const payload = (res.Properties?.TopicRulePayload ?? {}) as Record<string, unknown>;
  const name = r.physicalName(id);
  const sqlText = r.resolveString(payload.Sql, 'Sql');
  const version = payload.AwsIotSqlVersion === undefined ? '2015-10-08' : r.resolveString(payload.AwsIotSqlVersion, 'AwsIotSqlVersion');
  if (version !== IOT_SQL_VERSION) {
    warnings.push(`${r.describe(id)}: AwsIotSqlVersion ${version}: evaluated with the ${IOT_SQL_VERSION} semantics`);
  }
  let sql: SqlStatement;
  try {
    sql = compileSql(sqlText);
  } catch (e) {
    if (e instanceof SqlError) throw new SqlError(`SQL "${sqlText}": ${e.message}`);
    throw e;
  }
  const actionOf = (raw: unknown, what: string): ActionModel => loadAction(r, id, raw as Record<string, unknown>, bucketOf, warnings, what);
  const disabled = r.resolve(payload.RuleDisabled);
  return {
    name,
    stack: r.stack.displayName,
    logicalId: id,
    path: r.pathOf(id),
    sql,
    disabled: disabled === true || disabled === 'true',
    actions: ((payload.Actions ?? []) as unknown[]).map((a, i) => actionOf(a, `action ${i}`)),
    errorAction: payload.ErrorAction ? actionOf(payload.ErrorAction, 'error action') : undefined,
  };
}

function loadAction(r: Resolver, id: string, raw: Record<string, unknown>, bucketOf: BucketOf, warnings: string[], what: string): ActionModel {
  const [type] = Object.keys(raw);
  const body = (raw[type] ?? {}) as Record<string, unknown>;
  switch (type) {
    case 'Firehose': {
      const batch = r.resolve(body.BatchMode);
      return {
        kind: 'firehose',
        streamName: r.resolveString(body.DeliveryStreamName, `${what} Firehose.DeliveryStreamName`),
        separator: body.Separator === undefined ? undefined : r.resolveString(body.Separator, `${what} Firehose.Separator`),
        batchMode: batch === true || batch === 'true',
      };
    }
    case 'S3':
      return {
        kind: 's3',
        bucket: bucketOf(body.BucketName, id, `${what} S3.BucketName`, false),
        key: compileTemplate(r.resolveString(body.Key, `${what} S3.Key`)),
      };
    default:
      warnings.push(`${r.describe(id)}: ${what} ${type} is not run locally (only Firehose and S3 actions are); it is skipped`);
      return { kind: 'unsupported', type };
  }
}

/** A bucket of the stack: its local name, folder (the logical id, or the stack-qualified name) and endpoint name. */
function bucketEntry(r: Resolver, id: string, endpointBucketNames: boolean | undefined): [string, BucketRef] {
  const name = r.physicalName(id);
  const explicit = r.resources[id].Properties?.BucketName !== undefined;
  const folder = r.qualified.has(id) ? sanitizeFolder(`${r.stack.stackName}-${id}`) : id;
  return [name, { name, folder, endpointName: explicit || endpointBucketNames ? name : endpointBucketName(r.qualified.has(id) ? `${r.stack.stackName}-${id}` : id) }];
}

function sanitizeFolder(name: string): string {
  return name.replace(/[/\\]/g, '_').replace(/^\.+$/, '_');
}
