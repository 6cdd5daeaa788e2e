import { awscdk, javascript } from 'projen';
import { ArchitectureLint } from './projenrc/architecture-lint';
import { Benches } from './projenrc/benches';
import { Bundles } from './projenrc/bundles';
import { Examples } from './projenrc/examples';
import { NpmPackage } from './projenrc/npm-package';
import { PythonVenv } from './projenrc/python-venv';
import { Release, RELEASE_OPTIONS } from './projenrc/release';
import { Rosetta } from './projenrc/rosetta';
import { JEST_OPTIONS, TestLanes } from './projenrc/test-lanes';

/**
 * aws-cdk-lib floor. 2.222.0 is the first release whose stable
 * `aws-cdk-lib/aws-kinesisfirehose` S3 destination has `processors` (plural), `s3Backup` and
 * `fileExtension` together (the L2 graduated from alpha in 2.178.0 with `processor` only;
 * `fileExtension` came later, `processors` in 2.222.0). Checked by packing each release.
 */
const CDK_FLOOR = '2.222.0';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-iot-core-firehose-pipeline',
  description:
    'AWS CDK construct for device telemetry: X.509 devices → AWS IoT Core (MQTT) → IoT rule → Amazon Data Firehose (raw backup to S3) → parser Lambda → S3. Secure by default; with a parser toolkit and a local runner.',
  author: 'cdk-iot-core-firehose-pipeline contributors',
  authorAddress: 'maintainers@example.com',
  repositoryUrl: 'https://github.com/cdk-iot-core-firehose-pipeline/cdk-iot-core-firehose-pipeline.git',
  homepage: 'https://github.com/cdk-iot-core-firehose-pipeline/cdk-iot-core-firehose-pipeline#readme',
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
  ...RELEASE_OPTIONS,

  devDeps: [
    'cdk-nag@^2.37.0',
    'esbuild@^0.25.0',
    '@types/aws-lambda@^8.10.0',
    '@aws-sdk/client-iot@^3.600.0',
    '@aws-sdk/client-secrets-manager@^3.600.0',
    'aws-sdk-client-mock@^4.0.0',
    'aws-cdk@^2.1000.0',
    '@aws-sdk/client-s3@^3.600.0',
    '@aws-sdk/client-lambda@^3.600.0', // the replay worker invokes the parser (the Lambda runtime provides it)
    'fast-check@^3.0.0',
    'ts-node@^10.9.2',
    'yaml@^2', // test/release/workflows.test.ts reads the generated workflows
    // CLI (bundled by esbuild into assets/cli, so these stay devDependencies)
    'mqtt@^5.10.0',
    'commander@^12.1.0',
    '@commander-js/extra-typings@~12.1.0', // typed options and actions for commander (types only; bundled)
    '@aws-sdk/client-cloudformation@^3.600.0',
    '@aws-sdk/client-firehose@^3.600.0',
    '@aws-sdk/client-cloudwatch@^3.600.0',
    '@aws-sdk/client-cloudwatch-logs@^3.600.0',
    // Non-JSON payloads: CBOR and Protobuf for the reference parser's decoders (bundled into its asset), the runner's
    // decode(*, 'proto') and `publish --cbor/--protobuf` (bundled into the CLI). Pure JavaScript, no native code.
    // protobufjs also compiles the .proto test fixtures into FileDescriptorSets (test/fixtures/protobuf/).
    'cborg@^4.2.0',
    'cbor-x@^1.6.0',
    '@bufbuild/protobuf@^2.2.0',
    'protobufjs@^7.4.0',
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
    // `replay --stack` (Step Functions: StartExecution, DescribeExecution, ListMapRuns, DescribeMapRun), bundled into the CLI
    '@aws-sdk/client-sfn@^3.600.0',
    // `query --app` (DuckDB): native, so never bundled nor declared for users; the CLI loads it lazily from the
    // user's project and says how to install it (local/query/duckdb.ts). Pinned: the version the tests prove.
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
  jestOptions: JEST_OPTIONS,
  bin: { 'cdk-iot-pipeline': 'assets/cli/index.js' },
  gitignore: ['/assets/', '/.venv/', '/.venv-lint/', '/.jsii.tabl.json', 'cdk.out/', '.cdk.staging/', '/examples/**/cdk.out/', '/.ci-venv/', '/.py-app-venv/', '/examples/java-app/target/', '/examples/app/build/', '.iot-local/', '.pytest_cache/', '__pycache__/'],
});

// Python tools from PyPI, in project-local venvs: the tests' (moto_server, pytest, the AWS IoT Device SDK), and the
// linters CI runs over what the build produces (their own venv, so the README's test command does not install them).
const testVenv = new PythonVenv(project, { taskName: 'venv', dir: '.venv', requirements: 'test/requirements.txt', contents: 'the Python test tools' });
const lintVenv = new PythonVenv(project, { taskName: 'venv:lint', dir: '.venv-lint', requirements: '.ci/requirements.txt', contents: 'the linters' });

new Bundles(project, { handlers: ['reference-parser', 'certificate-provider', 'replay-worker'] });
new TestLanes(project, { venv: testVenv });
new ArchitectureLint(project);
new Examples(project, { testVenv, lintVenv });
new Benches(project);
new Rosetta(project);
new Release(project, { lintVenv });
new NpmPackage(project);

project.synth();
