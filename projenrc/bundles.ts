import { Component, Project } from 'projen';

/** One esbuild command line: a CommonJS bundle for Node 20 (the Lambda runtimes and the CLI both run it). */
export function esbuild(entry: string, outfile: string, ...extra: string[]): string {
  return ['esbuild', entry, '--bundle', '--platform=node', '--target=node20', '--format=cjs', '--legal-comments=none', ...extra, `--outfile=${outfile}`].join(' ');
}

/**
 * Files a handler's asset holds besides index.js: `lambda/<handler>/<part>.ts`, each bundled on its own into
 * `assets/<handler>/<part>.js` and kept external in index.js, which requires it (by the same relative path) only when
 * it is needed. The reference parser's payload decoders: a pipeline loads only its own decoder and its library, and
 * each decoder's size is its file's (budgets: test/lambda/reference-parser/bundle.e2e.test.ts).
 */
const HANDLER_PARTS: { readonly [handler: string]: readonly string[] } = {
  'reference-parser': ['decoders/cbor', 'decoders/protobuf', 'decoders/delimited', 'decoders/csv'],
};

/** Options of {@link Bundles}. */
export interface BundlesOptions {
  /** The Lambda handlers: `lambda/<name>/index.ts`, each bundled into `assets/<name>/index.js`. */
  readonly handlers: readonly string[];
}

/**
 * Everything under assets/ (git-ignored, shipped in the npm tarball), bundled before the jsii compile:
 * the Lambda handlers, the `cdk-iot-pipeline` CLI (with the local runner) and the parser toolkit's subpath export.
 * Handlers are bundled at build time, never with NodejsFunction at the user's synth time.
 */
export class Bundles extends Component {
  constructor(project: Project, options: BundlesOptions) {
    super(project, 'Bundles');

    // The AWS SDK v3 is provided by the Lambda Node.js runtime, so it stays external. cbor-extract (cbor-x's optional
    // native addon) must never be bundled: the reference parser's CBOR decoder uses cbor-x's pure-JS entry point, and
    // should a handler ever import one that probes for the addon, the probe fails and cbor-x falls back to JS
    // (test/lambda/reference-parser/bundle.e2e.test.ts runs the bundle where no package can be resolved).
    for (const name of options.handlers) {
      const task = project.addTask(`bundle:${name}`, {
        description: `Bundle lambda/${name} into assets/${name}/index.js`,
        exec: esbuild(`lambda/${name}/index.ts`, `assets/${name}/index.js`, '--external:@aws-sdk/*', '--external:cbor-extract', '--minify',
          ...(HANDLER_PARTS[name] ?? []).map(part => `--external:./${part}`)),
      });
      for (const part of HANDLER_PARTS[name] ?? []) {
        task.exec(esbuild(`lambda/${name}/${part}.ts`, `assets/${name}/${part}.js`, '--external:@aws-sdk/*', '--external:cbor-extract', '--minify'));
      }
      project.preCompileTask.spawn(task);
    }

    // The CLI: bundled with everything it needs (the AWS SDK included: no Lambda runtime provides it there), minified
    // with source maps; the heavy packages in assets/cli/vendor/, read only by the commands that use them (see the script).
    const cli = project.addTask('bundle:cli', {
      description: 'Bundle cli/ (with local/) into assets/cli/index.js (the cdk-iot-pipeline command) and assets/cli/vendor/',
      exec: 'ts-node --transpile-only --project tsconfig.dev.json projenrc/bundle-cli.ts',
    });
    // The local runner's Lambda runtimes run in another thread/process: real files, found next to the bundle.
    cli.exec('cp local/lambda/node-worker.js local/lambda/python_shim.py assets/cli/');
    project.preCompileTask.spawn(cli);

    // The parser toolkit, published as the subpath export `cdk-iot-core-firehose-pipeline/parser-toolkit`:
    // one CommonJS file (no runtime dependencies) plus its declarations.
    const toolkit = project.addTask('bundle:parser-toolkit', {
      description: 'Bundle lambda/toolkit into assets/parser-toolkit (JS + .d.ts) for the parser-toolkit subpath export',
      exec: esbuild('lambda/toolkit/index.ts', 'assets/parser-toolkit/index.js', '--external:@aws-sdk/*'),
    });
    // The declarations include the contract module the toolkit imports (src/contract), so they keep the repository's
    // folder structure under types/; index.d.ts re-exports the toolkit's entry point.
    toolkit.exec([
      'tsc lambda/toolkit/index.ts',
      '--declaration --emitDeclarationOnly --rootDir . --outDir assets/parser-toolkit/types',
      '--ignoreConfig --target ES2022 --module node16 --moduleResolution node16 --strict --skipLibCheck --types node',
    ].join(' '));
    toolkit.exec('echo "export * from \'./types/lambda/toolkit/index\';" > assets/parser-toolkit/index.d.ts');
    // Its reference ships next to the bundle: the README and the toolkit's declarations point there.
    toolkit.exec('cp lambda/toolkit/README.md assets/parser-toolkit/README.md');
    project.preCompileTask.spawn(toolkit);

    // The Python parser toolkit, shipped as source: Parser.fromPython copies it beside the user's parser at synth.
    const pythonToolkit = project.addTask('bundle:parser-toolkit-python', {
      description: 'Copy the Python parser toolkit into assets/parser-toolkit-python (what Parser.fromPython ships with a parser)',
    });
    pythonToolkit.exec('rm -rf assets/parser-toolkit-python && mkdir -p assets/parser-toolkit-python/cdk_iot_parser_toolkit');
    pythonToolkit.exec('cp lambda/toolkit-python/cdk_iot_parser_toolkit/*.py assets/parser-toolkit-python/cdk_iot_parser_toolkit/');
    pythonToolkit.exec('cp lambda/toolkit-python/README.md assets/parser-toolkit-python/README.md');
    project.preCompileTask.spawn(pythonToolkit);
  }
}
