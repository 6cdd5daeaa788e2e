import { Component } from 'projen';
import { NodeProject } from 'projen/lib/javascript';

/** What the npm tarball leaves out beyond projen's own list, and why. */
const NOT_SHIPPED: ReadonlyArray<readonly [string, string]> = [
  ['/examples/', 'apps that use the package, not the package'],
  ['/lambda/', 'the handlers ship bundled, in assets/'],
  ['/cli/', 'the CLI ships bundled, in assets/cli/'],
  ['/local/', 'the local runner ships bundled into the CLI'],
  ['/docs/', 'for contributors'],
  ['/bench/', 'benchmarks'],
  ['/.ci/', 'CI'],
  ['cdk.out/', 'synthesized apps'],
  ['/.py-app-venv/', 'the Python app\'s venv'],
  ['/.ci-venv/', 'a venv of CI'],
  ['/.venv/', 'the test tools\' venv'],
  ['/.venv-lint/', 'the linters\' venv'],
  ['/CONTRIBUTING.md', 'for contributors, not users: the tarball ships README, CHANGELOG, API.md'],
  ['/rosetta/', 'jsii-rosetta\'s fixtures compile the README\'s snippets at build time only'],
];

/**
 * The npm package: what the tarball holds (every .npmignore edit is here), its entry points, and what
 * `npx projen package` builds.
 */
export class NpmPackage extends Component {
  constructor(project: NodeProject) {
    super(project, 'NpmPackage');

    // The tarball ships the built handlers, CLI and parser toolkit (assets/ is git-ignored).
    project.npmignore?.include('/assets/');
    project.npmignore?.exclude(...NOT_SHIPPED.map(([pattern]) => pattern));

    // `npx projen build` is the README's test command on a machine with only Node, npm and Python: it packages the
    // npm tarball only (projen would run package-all outside CI, which needs Maven, the .NET SDK and Go). The other
    // languages are their own tasks (package:python, package:java, package:dotnet, package:go), run by CI and releases.
    project.packageTask.reset();
    project.packageTask.spawn(project.tasks.tryFind('package:js')!);

    // The construct, and the parser toolkit as the subpath export `cdk-iot-core-firehose-pipeline/parser-toolkit`
    // (bundled into assets/parser-toolkit by `bundle:parser-toolkit`).
    project.package.addField('exports', {
      '.': { types: './lib/index.d.ts', default: './lib/index.js' },
      './parser-toolkit': { types: './assets/parser-toolkit/index.d.ts', default: './assets/parser-toolkit/index.js' },
      './package.json': './package.json',
      './.jsii': './.jsii',
    });
  }
}
