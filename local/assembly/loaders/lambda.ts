/**
 * `AWS::Lambda::Function`: what the runner needs to run a function from the cloud assembly — runtime, handler,
 * environment, limits, and where its code is (a staged asset, or inline `Code.ZipFile` text that the runner writes to
 * disk before it starts the function). Container images are not run (undefined).
 */
import { existsSync } from 'fs';
import { basename, join } from 'path';
import type { StackReader } from '../stack-reader';

/** The properties the runner reads (values may still be intrinsics). */
export interface CfnFunctionProperties {
  readonly Runtime?: unknown;
  readonly Handler?: unknown;
  readonly Code?: { readonly ZipFile?: unknown; readonly S3Key?: unknown; readonly ImageUri?: unknown };
  readonly PackageType?: unknown;
  readonly Environment?: { readonly Variables?: Record<string, unknown> };
  readonly Timeout?: unknown;
  readonly MemorySize?: unknown;
}

/** Inline code (`Code.ZipFile`): one source file the runner writes before the function runs. */
export interface InlineCode {
  /** The file name the handler's module is loaded from (`index.js`, `index.py`). */
  readonly fileName: string;
  readonly source: string;
}

export interface FunctionModel {
  readonly arn: string;
  readonly name: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly path: string;
  readonly runtime: string;
  readonly handler: string;
  /** The directory holding the code: the staged asset; '' for inline code until the runner has written it. */
  readonly codeDir: string;
  /** Inline code, written by the runner into a directory of its own (then `codeDir`). */
  readonly inlineCode?: InlineCode;
  readonly environment: Record<string, string>;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  readonly region: string;
}

/** The function, or undefined for a container image (not run locally). */
export function loadFunction(
  stack: StackReader, id: string, props: CfnFunctionProperties, metadata: Record<string, unknown> | undefined,
): FunctionModel | undefined {
  if (props.PackageType === 'Image' || props.Code?.ImageUri !== undefined) return undefined;
  const runtime = String(props.Runtime ?? '');
  const handler = String(props.Handler ?? 'index.handler');
  const code = props.Code ?? {};
  const assetPath = metadata?.['aws:asset:path'];
  let codeDir = '';
  let inlineCode: InlineCode | undefined;
  if (typeof code.ZipFile === 'string' || (code.ZipFile && typeof code.ZipFile === 'object')) {
    const module = handler.slice(0, handler.lastIndexOf('.')) || 'index';
    inlineCode = { fileName: `${module}${runtime.startsWith('python') ? '.py' : '.js'}`, source: stack.resolveString(code.ZipFile, 'Code.ZipFile') };
  } else if (code.S3Key !== undefined) {
    const key = stack.resolveString(code.S3Key, 'Code.S3Key');
    const hash = basename(key).replace(/\.(zip|jar)$/, '');
    codeDir = stack.stack.assets.get(hash) ?? join(stack.stack.dir, `asset.${hash}`);
    if (!existsSync(codeDir) && typeof assetPath === 'string') codeDir = join(stack.stack.dir, assetPath);
  } else if (typeof assetPath === 'string') {
    codeDir = join(stack.stack.dir, assetPath);
  }
  const name = stack.physicalName(id);
  const environment: Record<string, string> = {};
  for (const [k, v] of Object.entries(props.Environment?.Variables ?? {})) {
    try {
      environment[k] = stack.resolveString(v, `environment variable ${k}`);
    } catch (e) {
      environment[k] = `<unresolved: ${(e as Error).message}>`;
    }
  }
  return {
    arn: stack.arn('lambda', `function:${name}`),
    name,
    stack: stack.name,
    logicalId: id,
    path: stack.pathOf(id),
    runtime,
    handler,
    codeDir,
    inlineCode,
    environment,
    timeoutMs: Number(props.Timeout ?? 3) * 1000,
    memoryMb: Number(props.MemorySize ?? 128),
    region: stack.region,
  };
}
