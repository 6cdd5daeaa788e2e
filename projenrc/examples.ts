import { Component, Project } from 'projen';
import { esbuild } from './bundles';
import { PythonVenv } from './python-venv';

/** The jsii runtime prints an end-of-life banner for Node 20 in every Python/Java process. */
const JSII_QUIET = {
  JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20',
  JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '20',
  JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION: '20',
};

/** Options of {@link Examples}. */
export interface ExamplesOptions {
  /** The venv with the Python test tools (pytest). */
  readonly testVenv: PythonVenv;
  /** The venv with the template linters (cfn-lint, checkov). */
  readonly lintVenv: PythonVenv;
}

/**
 * The apps under examples/ that use the package as users do: the TypeScript example app (synthesized, linted, run
 * locally by `demo`) and the Python and Java apps that prove the jsii packages synthesize pipelines.
 */
export class Examples extends Component {
  constructor(project: Project, options: ExamplesOptions) {
    super(project, 'Examples');
    const { testVenv, lintVenv } = options;

    // The example app (two stacks: the write-up's pipeline, and two customers with their own parsers).
    const synthExample = project.addTask('synth:example', {
      description: 'Synthesize examples/app into examples/app/cdk.out (offline, no AWS credentials; cdk-nag runs inside)',
      env: { CDK_DISABLE_CLI_TELEMETRY: 'true', AWS_EC2_METADATA_DISABLED: 'true' },
    });
    // Customer A's TypeScript parser imports the parser-toolkit subpath export; bundle it like a user would.
    synthExample.exec(esbuild('examples/app/parsers/customer-a/index.ts', 'examples/app/build/customer-a/index.js', '--external:@aws-sdk/*', '--minify'));
    synthExample.exec('cdk synth --quiet --no-notices --no-version-reporting', { cwd: 'examples/app' });

    const exampleParsers = project.addTask('test:example-parsers', {
      description: 'pytest for the example app\'s Python parser (customer B) on test/fixtures and its lathe fleet\'s pre-provisioning hook',
      env: { PYTHONDONTWRITEBYTECODE: '1' },
      exec: `${testVenv.bin('python')} -m pytest -p no:cacheprovider -o console_output_style=classic examples/app/parsers/customer_b examples/app/hooks/lathe_serial`,
    });
    exampleParsers.prependSpawn(testVenv.task);

    // Linters over what the build produces (CI): their own venv, so the README's test command does not install them.
    const lintTemplates = project.addTask('lint:templates', {
      description: 'cfn-lint and checkov over every synthesized example template (errors and unskipped findings fail; run synth:example first)',
    });
    lintTemplates.spawn(lintVenv.task);
    lintTemplates.exec(`${lintVenv.bin('cfn-lint')} --non-zero-exit-code error --format parseable examples/*/cdk.out/*.template.json`);
    // checkov: every finding is fixed or skipped on its resource with a reason (Metadata.checkov.skip, listed in the README).
    lintTemplates.exec(`${lintVenv.bin('checkov')} --quiet --compact --skip-download --framework cloudformation -f examples/*/cdk.out/*.template.json`);

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

    // The Python app installs the built wheel into a venv of its own, re-created on every run (a fresh install
    // is what it proves), so it is not a PythonVenv.
    const pythonApp = project.addTask('test:python-app', {
      description: 'Install the built wheel (dist/python) with aws-cdk-lib at the floor into a fresh venv and run examples/python-app\'s pytest suite',
      env: { ...JSII_QUIET, PIP_DISABLE_PIP_VERSION_CHECK: '1', PYTHONDONTWRITEBYTECODE: '1' },
    });
    pythonApp.exec('rm -rf .py-app-venv');
    pythonApp.exec('python3 -m venv .py-app-venv');
    // --no-compile: byte-compiling aws_cdk (355 MB of .py) costs ~20 s and one interpreter imports it once.
    pythonApp.exec('.py-app-venv/bin/python -m pip install --quiet --no-compile dist/python/*.whl -r examples/python-app/requirements.txt');
    pythonApp.exec('.py-app-venv/bin/python -m pip check');
    pythonApp.exec('../../.py-app-venv/bin/python -m pytest -o console_output_style=classic', { cwd: 'examples/python-app' });

    const javaApp = project.addTask('test:java-app', {
      description: 'Build examples/java-app against the built jar (dist/java) and aws-cdk-lib at the floor, and run its JUnit tests',
      env: JSII_QUIET,
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
  }
}
