/**
 * One stack as the loaders read it: the resolver of its intrinsics (cloud-assembly.ts), plus the one place that
 * turns a problem into the AssemblyError the user sees (`<stack>: <logical id> (<construct path>): <what>: <why>`),
 * the buckets a value can name, the warnings, and the one reader of CloudFormation booleans.
 */
import { AssemblyError, CfnResource, Resolver, ResolverOptions, StackArtifact, UnresolvableError } from './cloud-assembly';
import { TableError } from './table';
import { PrefixError } from '../../src/contract';
import { PolicyParseError } from '../iot/policy';
import { SqlError } from '../iot/sql';

/** Where objects go: a bucket of the stack (folder = logical id) or an imported one (folder = its name). */
export interface BucketRef {
  /** The bucket name as the template resolves it locally (logical id unless BucketName is set). */
  readonly name: string;
  /** The folder under `<data-dir>/s3/`. */
  readonly folder: string;
  /** The bucket name used with --s3-endpoint (lowercase, DNS-compatible). */
  readonly endpointName: string;
}

/** Errors a loader throws for a template the runner cannot run: reported with the resource that caused them. */
const LOAD_ERRORS = [UnresolvableError, PrefixError, SqlError, TableError, PolicyParseError] as const;

/**
 * A CloudFormation boolean: `true`/`false`, or the strings `"true"`/`"false"` (what a resolved `Fn::If` or a
 * parameter gives); anything else, or absent, is the property's default.
 */
export function readBoolean(value: unknown, fallback: boolean): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return fallback;
}

export interface StackReaderOptions extends ResolverOptions {
  /** The buckets a value may name (by local name); others are imported buckets, kept under their own name. */
  readonly buckets: Map<string, BucketRef>;
  /** Where loaders report what they run differently or skip. */
  readonly warnings: string[];
}

/** Reads one stack for the loaders. */
export class StackReader extends Resolver {
  constructor(stack: StackArtifact, private readonly readerOptions: StackReaderOptions) {
    super(stack, readerOptions);
  }

  /** Buckets are on an S3-compatible endpoint (lowercase, DNS-compatible names). */
  public get endpointBucketNames(): boolean {
    return this.readerOptions.endpointBucketNames === true;
  }

  /** The stack's display name (what messages and models call it). */
  public get name(): string {
    return this.stack.displayName;
  }

  /** The resources of one type, as `[logical id, resource]`, in template order. */
  public resourcesOf(type: string): Array<[string, CfnResource]> {
    return Object.entries(this.resources).filter(([, res]) => res.Type === type);
  }

  /** Stops the load: the message names the stack and the resource. */
  public fail(logicalId: string, message: string): never {
    throw new AssemblyError(`${this.name}: ${this.describe(logicalId)}: ${message}`);
  }

  /** Runs a loader; a template problem it throws fails the load as `<what>: <why>`, naming the resource. */
  public attempt<T>(logicalId: string, what: string, load: () => T): T {
    try {
      return load();
    } catch (e) {
      if (LOAD_ERRORS.some((type) => e instanceof type)) return this.fail(logicalId, `${what}: ${(e as Error).message}`);
      throw e;
    }
  }

  /** A warning, prefixed with the resource. */
  public warn(logicalId: string, message: string): void {
    this.readerOptions.warnings.push(`${this.describe(logicalId)}: ${message}`);
  }

  /**
   * The bucket a property names (`isArn`: an `arn:aws:s3:::<name>` ARN): a bucket of the stacks being run, else an
   * imported bucket kept in a folder of its own name.
   */
  public bucket(value: unknown, logicalId: string, what: string, isArn: boolean): BucketRef {
    const text = this.attempt(logicalId, what, () => this.resolveString(value, what));
    const name = isArn ? text.replace(/^arn:[^:]+:s3:::/, '') : text;
    return this.readerOptions.buckets.get(name) ?? { name, folder: sanitizeFolder(name), endpointName: name };
  }
}

/** A bucket name as a folder name under `<data-dir>/s3/` (no path separators, not `.` or `..`). */
export function sanitizeFolder(name: string): string {
  return name.replace(/[/\\]/g, '_').replace(/^\.+$/, '_');
}
