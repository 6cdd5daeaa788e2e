/**
 * The `bundle:cli` task: bundles the `cdk-iot-pipeline` command (cli/ with local/) into assets/cli/.
 *
 * - `assets/cli/index.js`: the program — commander, the command definitions, and the code of the commands and of
 *   the local runner (~200 KB minified). Each command already loads its implementation inside its action
 *   (`cli/command.ts`); esbuild keeps those modules in this file and runs them on first `require`.
 * - `assets/cli/vendor/<name>.js`: the heavy third-party packages, one file per group (the AWS SDK clients, mqtt,
 *   aedes, node-forge, hyparquet, cbor-x, @bufbuild/protobuf). The program requires a group's file only when code that
 *   imports one of its packages runs, so `--help` and `cost` read and compile ~200 KB instead of the 4.5 MB a single bundle holds.
 *
 * Every file is minified. The program has a source map next to it (`index.js.map`, without the sources' text): run
 * with `NODE_OPTIONS=--enable-source-maps` for stack traces in cli/ and local/. The vendor files (third-party code at
 * fixed versions) have none: their maps would be 2.5 MB of the npm package for stack traces nobody reads.
 * CommonJS throughout, so modules load synchronously (faster than ES module chunks at start) and our own code is
 * one module graph (one copy of each class, so `instanceof` holds across commands).
 *
 *   ts-node --transpile-only --project tsconfig.dev.json projenrc/bundle-cli.ts
 */
import { chmodSync, rmSync } from 'fs';
import { join } from 'path';
// eslint-disable-next-line import/no-extraneous-dependencies
import { build, BuildOptions, Plugin } from 'esbuild';

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'assets', 'cli');

/** The vendor files: the bare imports (as written in cli/ and local/) each one serves. */
const VENDORS: readonly { readonly name: string; readonly packages: RegExp }[] = [
  { name: 'aws-sdk', packages: /^@aws-sdk\// },
  { name: 'mqtt', packages: /^mqtt(\/|$)/ },
  { name: 'aedes', packages: /^aedes(\/|$)/ },
  { name: 'node-forge', packages: /^node-forge(\/|$)/ },
  { name: 'parquet', packages: /^hyparquet(-writer)?(\/|$)/ },
  // `publish --cbor` only
  { name: 'cbor', packages: /^cbor-x(\/|$)/ },
  // `publish --protobuf` and the runner's decode(*, 'proto', …) (local/iot/sql/protobuf.ts): loaded when used, not by `--help`
  { name: 'protobuf', packages: /^@bufbuild\/protobuf(\/|$)/ },
];

/**
 * Left out of every file: DuckDB is native, so `query --app` loads it from the user's project when it runs
 * (local/query/duckdb.ts), and the construct's users never install it unless they query.
 */
const EXTERNAL = ['@duckdb/node-api'];

const COMMON: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  external: EXTERNAL,
};

function vendorFile(name: string): string {
  return `./vendor/${name}.js`;
}

/**
 * Replaces each import of a vendored package with a module that requires the vendor file at run time and takes
 * the package from it; records which packages each vendor file must serve.
 */
function vendorPlugin(used: Map<string, Set<string>>): Plugin {
  return {
    name: 'vendor',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.namespace === 'vendor') return { path: args.path, external: true };
        if (EXTERNAL.includes(args.path)) return { path: args.path, external: true };
        const vendor = VENDORS.find((v) => v.packages.test(args.path));
        if (!vendor) return undefined;
        if (!used.has(vendor.name)) used.set(vendor.name, new Set());
        used.get(vendor.name)!.add(args.path);
        return { path: args.path, namespace: 'vendor', pluginData: vendor.name };
      });
      b.onResolve({ filter: /^\.\/vendor\//, namespace: 'vendor' }, (args) => ({ path: args.path, external: true }));
      b.onLoad({ filter: /.*/, namespace: 'vendor' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(vendorFile(args.pluginData as string))})[${JSON.stringify(args.path)}];`,
        loader: 'js',
      }));
    },
  };
}

async function main(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  const used = new Map<string, Set<string>>();
  await build({
    ...COMMON,
    entryPoints: [join(ROOT, 'cli', 'index.ts')],
    outfile: join(OUT, 'index.js'),
    banner: { js: '#!/usr/bin/env node' },
    sourcemap: true,
    sourcesContent: false,
    plugins: [vendorPlugin(used)],
  });
  chmodSync(join(OUT, 'index.js'), 0o755);
  for (const [name, packages] of used) {
    // Each package is initialized on first access of its property, so one file serves several lazily.
    const properties = [...packages].sort().map((p) => `${JSON.stringify(p)}: { enumerable: true, get: () => require(${JSON.stringify(p)}) }`);
    await build({
      ...COMMON,
      stdin: { contents: `Object.defineProperties(exports, {\n${properties.join(',\n')}\n});\n`, resolveDir: ROOT, sourcefile: `vendor-${name}.js`, loader: 'js' },
      outfile: join(OUT, vendorFile(name)),
    });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
