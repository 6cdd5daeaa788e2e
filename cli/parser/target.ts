/**
 * What `parser test` runs: a synthesized pipeline's parser (`--app`), a TypeScript/JavaScript file, or a folder with
 * a Python (or JavaScript) handler module. Each becomes the runner's models — a function and a delivery stream with a
 * processor — so the runner's own Lambda runtimes and Firehose stream run it.
 */
import { cpSync, existsSync, mkdirSync, statSync } from 'fs';
import { createRequire } from 'module';
import { basename, dirname, extname, join, resolve } from 'path';
import { AssemblyError } from '../../local';
import { DEFAULT_REGION as LOCAL_REGION } from '../../local/assembly/cloud-assembly';
import type { FunctionModel, RuleModel, StreamModel } from '../../local/assembly/model';
import { loadModel } from '../../local/assembly/model';
import { compileStreamPrefix } from '../../local/firehose/keys';
import { stageFunctionCode } from '../../local/lambda/runtime';
import { FIREHOSE_ACTION_SEPARATOR, LOCAL_ACCOUNT, PROCESSOR_DEFAULTS, PROCESSOR_LIMITS } from '../../src/contract';
import { CliError, UsageError } from '../errors';

/** The parser to run, with the stream that batches for it. */
export interface ParserTarget {
  /** What runs, for the report: `<stack>/<pipeline id>` or the entry path. */
  readonly label: string;
  readonly fn: FunctionModel;
  /** The stream's processor settings batch the records; its destination only receives what the parser answers. */
  readonly stream: StreamModel;
  /** What the topic rule's Firehose action appends to each message. */
  readonly separator: string;
  /** With --app: the topic rules that forward to the stream (`--topic` runs the messages through them). */
  readonly rules?: RuleModel[];
}

/** How to find the parser. */
export interface TargetOptions {
  /** A `.ts`/`.js` file, or a folder holding the handler module (Python or JavaScript). */
  readonly entry?: string;
  /** `module.function` in a folder (default `index.handler`), the exported function of a file (default `handler`). */
  readonly handler?: string;
  readonly app?: string;
  readonly stack?: string;
  readonly pipeline?: string;
  /** The processor's buffer size in MiB for an entry (the synthesized stream's own with --app). */
  readonly bufferSizeMiB?: number;
  /** Where bundles and inline code go. */
  readonly scratchDir: string;
}

const MIB = 1024 * 1024;
/** The runtimes an entry runs on: the newest the construct's parsers use. */
const NODE_RUNTIME = 'nodejs22.x';
const PYTHON_RUNTIME = 'python3.12';

/** Finds the parser and builds the models the runner runs it with. */
export function resolveTarget(o: TargetOptions): ParserTarget {
  if ((o.entry === undefined) === (o.app === undefined)) {
    throw new UsageError('give the parser to test: an entry (a .ts/.js file, or a folder with a Python handler) or --app <cdk.out> for a synthesized pipeline\'s parser, not both.');
  }
  if (o.app !== undefined) {
    if (o.handler !== undefined || o.bufferSizeMiB !== undefined) throw new UsageError('--handler and --buffer-size are for an entry; with --app the synthesized function and stream settings apply.');
    return fromApp(o.app, o.stack, o.pipeline, o.scratchDir);
  }
  if (o.stack !== undefined || o.pipeline !== undefined) throw new UsageError('--stack and --pipeline select a parser of --app.');
  return fromEntry(o.entry!, o.handler, o.bufferSizeMiB, o.scratchDir);
}

function fromApp(app: string, stack: string | undefined, pipeline: string | undefined, scratchDir: string): ParserTarget {
  let model;
  try {
    model = loadModel({ app, stack });
  } catch (e) {
    if (e instanceof AssemblyError) throw new CliError(e.message);
    throw e;
  }
  const candidates = [...model.streams.values()].filter((s) => s.processor !== undefined);
  const idOf = (s: StreamModel) => `${s.stack}/${s.path.split('/')[1]}`;
  const selected = pipeline === undefined ? candidates : candidates.filter((s) => idOf(s) === pipeline || s.path.split('/')[1] === pipeline);
  const known = candidates.map(idOf).join(', ') || 'none';
  if (selected.length === 0) {
    throw new UsageError(pipeline === undefined
      ? `${app} has no pipeline with a parser (delivery streams with a Lambda processor: none).`
      : `--pipeline ${pipeline} is not a pipeline with a parser in ${app}; give one of: ${known}.`);
  }
  if (selected.length > 1) throw new UsageError(`${app} has ${selected.length} pipelines with a parser; choose one with --pipeline: ${selected.map(idOf).join(', ')}.`);
  const stream = selected[0];
  const loaded = model.functions.get(stream.processor!.functionArn);
  if (!loaded) throw new CliError(`${stream.path}: its processor ${stream.processor!.functionArn} is not a function of the assembly.`);
  // Inline code (Code.ZipFile) is written to disk as the runner does before it runs a function.
  const fn = stageFunctionCode(loaded, scratchDir);
  const rules = model.rules.filter((r) => r.actions.some((a) => a.kind === 'firehose' && a.streamName === stream.name));
  const action = rules.flatMap((r) => r.actions).find((a) => a.kind === 'firehose' && a.streamName === stream.name);
  return {
    label: idOf(stream),
    fn,
    // Only the parser's answers matter: no backup, no Parquet conversion (`local` runs those).
    stream: { ...stream, backup: undefined, conversion: undefined },
    separator: action?.kind === 'firehose' ? action.separator ?? '' : FIREHOSE_ACTION_SEPARATOR,
    rules,
  };
}

function fromEntry(entry: string, handler: string | undefined, bufferSizeMiB: number | undefined, scratchDir: string): ParserTarget {
  const path = resolve(entry);
  if (!existsSync(path)) throw new UsageError(`${entry} does not exist: give a .ts/.js parser file or a folder with the handler module.`);
  const name = `parser-test-${basename(path).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]/g, '_')}`;
  let codeDir: string;
  let runtime: string;
  let fnHandler: string;
  if (statSync(path).isDirectory()) {
    fnHandler = handler ?? 'index.handler';
    const dot = fnHandler.lastIndexOf('.');
    if (dot <= 0) throw new UsageError(`--handler ${fnHandler} is not <module>.<function> (e.g. index.handler).`);
    const module = join(path, fnHandler.slice(0, dot));
    if (existsSync(`${module}.py`)) runtime = PYTHON_RUNTIME;
    else if (['.js', '.cjs', '.mjs'].some((ext) => existsSync(module + ext))) runtime = NODE_RUNTIME;
    else throw new UsageError(`${entry} has no ${fnHandler.slice(0, dot)}.py (or .js): give --handler <module>.<function> for the module in that folder.`);
    codeDir = runtime === PYTHON_RUNTIME ? withPythonToolkit(path, scratchDir) : path;
  } else {
    const exportName = (handler ?? 'handler').split('.').pop()!;
    const ext = extname(path);
    runtime = NODE_RUNTIME;
    if (['.js', '.cjs', '.mjs'].includes(ext)) {
      codeDir = dirname(path);
      fnHandler = `${basename(path, ext)}.${exportName}`;
    } else if (['.ts', '.mts', '.cts', '.tsx'].includes(ext)) {
      codeDir = join(scratchDir, 'bundle');
      bundle(path, join(codeDir, 'index.js'));
      fnHandler = `index.${exportName}`;
    } else {
      throw new UsageError(`${entry} is not a .ts or .js file; for a Python parser give its folder (and --handler <module>.<function>).`);
    }
  }
  const sizeMiB = bufferSizeMiB ?? PROCESSOR_DEFAULTS.bufferSizeMiB;
  const fn: FunctionModel = {
    arn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`,
    name,
    stack: 'parser-test',
    logicalId: name,
    path,
    runtime,
    handler: fnHandler,
    codeDir,
    environment: {},
    timeoutMs: 60_000,
    memoryMb: 512,
    region: LOCAL_REGION,
  };
  const bucket = { name: 'parser-test', folder: 'parser-test', endpointName: 'parser-test' };
  const buffering = { sizeBytes: 128 * MIB, intervalMs: 900_000 };
  const stream: StreamModel = {
    name,
    arn: `arn:aws:firehose:${LOCAL_REGION}:${LOCAL_ACCOUNT}:deliverystream/${name}`,
    stack: 'parser-test',
    logicalId: name,
    path,
    region: LOCAL_REGION,
    destination: {
      bucket,
      prefix: compileStreamPrefix(undefined),
      errorPrefix: compileStreamPrefix(undefined, { errorOutput: true }),
      buffering,
      compression: 'UNCOMPRESSED',
      extension: '',
    },
    dynamicPartitioning: false,
    processor: {
      functionArn: fn.arn,
      lambdaArn: `${fn.arn}:$LATEST`,
      bufferSizeBytes: Math.round(sizeMiB * MIB),
      bufferIntervalMs: PROCESSOR_DEFAULTS.bufferIntervalSeconds * 1000,
      retries: PROCESSOR_DEFAULTS.retries,
    },
  };
  return { label: entry, fn, stream, separator: FIREHOSE_ACTION_SEPARATOR };
}

/** Parses `--buffer-size` (MiB, within Firehose's processor range). */
export function parseBufferSize(text: string): number {
  const value = Number(text);
  const { min, max } = PROCESSOR_LIMITS.bufferSizeMiB;
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--buffer-size ${text} is not a processor buffer size: give MiB from ${min} to ${max} (Firehose's range).`);
  }
  return value;
}

/** The part of esbuild's API the bundle step uses. */
interface EsbuildModule {
  buildSync(options: Record<string, unknown>): unknown;
}

/**
 * Bundles a TypeScript parser as the build bundles the handlers (esbuild: one CommonJS file for Node, the AWS SDK
 * external, as Lambda's Node.js runtime provides it). esbuild comes from the user's project, like their own build.
 */
function bundle(entry: string, outfile: string): void {
  let esbuild: EsbuildModule | undefined;
  for (const from of [join(process.cwd(), 'package.json'), join(dirname(entry), 'package.json'), __filename]) {
    try {
      esbuild = createRequire(from)('esbuild') as EsbuildModule;
      break;
    } catch {
      // try the next place
    }
  }
  if (!esbuild) {
    throw new CliError(`bundling ${entry} needs esbuild in your project (npm install --save-dev esbuild), or give the bundled .js file instead.`);
  }
  mkdirSync(dirname(outfile), { recursive: true });
  try {
    esbuild.buildSync({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['@aws-sdk/*'],
      logLevel: 'silent',
      legalComments: 'none',
    });
  } catch (e) {
    const first = ((e as { errors?: Array<{ text: string; location?: { file: string; line: number } }> }).errors ?? [])[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}: ` : '';
    throw new CliError(`esbuild could not bundle ${entry}: ${where}${first?.text ?? (e as Error).message}`);
  }
}

/** The Python toolkit's package folder, as Parser.fromPython ships it beside a parser. */
const PYTHON_TOOLKIT_PACKAGE = 'cdk_iot_parser_toolkit';

/**
 * A Python parser folder as Parser.fromPython packages it: the folder with the Python toolkit beside it (unless the
 * folder has its own copy), staged in the scratch folder. The toolkit is the package's `assets/parser-toolkit-python/`,
 * found above this program (the bundle in `assets/cli/`, or the sources in this repository).
 */
function withPythonToolkit(folder: string, scratchDir: string): string {
  if (existsSync(join(folder, PYTHON_TOOLKIT_PACKAGE))) return folder;
  let toolkit: string | undefined;
  for (let dir = __dirname; dirname(dir) !== dir && toolkit === undefined; dir = dirname(dir)) {
    toolkit = [join(dir, 'parser-toolkit-python'), join(dir, 'assets', 'parser-toolkit-python')]
      .find((candidate) => existsSync(join(candidate, PYTHON_TOOLKIT_PACKAGE, '__init__.py')));
  }
  if (toolkit === undefined) {
    throw new CliError(`The Python parser toolkit (assets/parser-toolkit-python) is not next to this program; run \`npx projen bundle:parser-toolkit-python\` in a clone, or put ${PYTHON_TOOLKIT_PACKAGE} into ${folder}.`);
  }
  const staged = join(scratchDir, 'python-parser');
  cpSync(folder, staged, { recursive: true, filter: (source) => basename(source) !== '__pycache__' });
  cpSync(join(toolkit, PYTHON_TOOLKIT_PACKAGE), join(staged, PYTHON_TOOLKIT_PACKAGE), { recursive: true });
  return staged;
}
