import { awscdk, javascript } from 'projen';

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
    'AWS CDK construct: devices (X.509) → AWS IoT Core → IoT rule → Kinesis Data Firehose (raw backup) → parser Lambda → S3, secure by default.',
  author: 'cdk-iot-core-firehose-pipeline contributors',
  authorAddress: 'maintainers@example.com',
  repositoryUrl: 'https://github.com/cdk-iot-core-firehose-pipeline/cdk-iot-core-firehose-pipeline.git',
  license: 'Apache-2.0',
  keywords: ['cdk', 'aws-cdk', 'iot', 'iot-core', 'firehose', 'kinesis', 'mqtt', 'telemetry', 's3'],
  cdkVersion: CDK_FLOOR,
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  tsconfigDevFile: 'tsconfig.dev.json',
  github: false,
  release: false,
  sampleCode: false,
  stability: 'experimental',

  publishToPypi: {
    distName: 'cdk-iot-core-firehose-pipeline',
    module: 'cdk_iot_core_firehose_pipeline',
  },
  publishToMaven: {
    javaPackage: 'io.github.cdkiotcorefirehosepipeline',
    mavenGroupId: 'io.github.cdk-iot-core-firehose-pipeline',
    mavenArtifactId: 'cdk-iot-core-firehose-pipeline',
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
    '@aws-lambda-powertools/logger@^2.0.0',
    '@aws-lambda-powertools/metrics@^2.0.0',
    'fast-check@^3.0.0',
    'ts-node@^10.9.2',
  ],

  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'lambda', 'examples', 'bench', 'projenrc', '.projenrc.ts'],
    tsconfigPath: './tsconfig.dev.json',
  },
  tsconfigDev: {
    include: ['.projenrc.ts', 'lambda/**/*.ts', 'examples/**/*.ts', 'bench/**/*.ts'],
    compilerOptions: {},
  },
  jestOptions: {
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
    },
  },
  gitignore: ['/assets/', 'cdk.out/', '.cdk.staging/', '/examples/**/cdk.out/', '/.ci-venv/'],
});

// Handlers are bundled at build time, never with NodejsFunction at the user's synth time.
// The AWS SDK v3 is provided by the Lambda Node.js runtime, so it stays external.
for (const name of HANDLERS) {
  const task = project.addTask(`bundle:${name}`, {
    description: `Bundle lambda/${name} into assets/${name}/index.js`,
    exec: [
      'esbuild',
      `lambda/${name}/index.ts`,
      '--bundle',
      '--platform=node',
      '--target=node20',
      '--format=cjs',
      '--external:@aws-sdk/*',
      '--legal-comments=none',
      `--outfile=assets/${name}/index.js`,
    ].join(' '),
  });
  project.preCompileTask.spawn(task);
}
// The npm tarball ships the built handlers (they are git-ignored).
project.npmignore?.include('/assets/');
project.npmignore?.exclude('/examples/', '/lambda/', '/.ci/', 'cdk.out/');


// The example app: the project's main job on one machine (offline, no AWS credentials).
const synthExample = project.addTask('synth:example', {
  description: 'Synthesize examples/app offline (no AWS credentials needed)',
  cwd: 'examples/app',
  env: { CDK_DISABLE_CLI_TELEMETRY: 'true', AWS_EC2_METADATA_DISABLED: 'true' },
  exec: 'cdk synth --quiet --no-notices --no-version-reporting',
});
synthExample.description = 'Synthesize examples/app into examples/app/cdk.out (offline)';

// Lint every TypeScript file with the dev tsconfig (src, test, lambda, examples, bench). The TypeScript
// project service would pick the nearest tsconfig.json (src only), so use an explicit project instead.
const eslintrc = project.tryFindObjectFile('.eslintrc.json');
eslintrc?.addOverride('parserOptions.projectService', undefined);
eslintrc?.addOverride('parserOptions.project', './tsconfig.dev.json');

project.package.addField('exports', {
  '.': { types: './lib/index.d.ts', default: './lib/index.js' },
  './package.json': './package.json',
  './.jsii': './.jsii',
});

project.synth();
