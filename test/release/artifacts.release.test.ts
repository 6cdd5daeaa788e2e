/**
 * The artifacts a release publishes, as the release rehearsal leaves them (test/release/rehearse.sh, run by
 * `npx projen release:rehearse`, which points RELEASE_DIST at the rehearsal clone's dist/). Not part of
 * `npx projen test`: without a rehearsal there is nothing to inspect.
 *
 * The names each package must carry are the ones the README's Install table gives users.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const DIST = process.env.RELEASE_DIST ?? '';
const CDK_FLOOR = '2.222.0';
const CONSTRUCTS_FLOOR = '10.5.1';

if (!DIST || !fs.existsSync(path.join(DIST, 'version.txt'))) {
  throw new Error('RELEASE_DIST must name the dist/ folder of a release rehearsal: run `npx projen release:rehearse`');
}
const VERSION = fs.readFileSync(path.join(DIST, 'version.txt'), 'utf8').trim();

/** The names of the README's Install table, one row per language. */
function readmeNames() {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const row = (language: string) => {
    const match = new RegExp(`^\\| ${language.replace('.', '\\.')} +\\| (.*) \\|$`, 'm').exec(readme);
    if (!match) throw new Error(`README.md's Install table has no ${language} row`);
    return match[1];
  };
  const pick = (text: string, re: RegExp) => {
    const match = re.exec(text);
    if (!match) throw new Error(`${re} does not match the README row: ${text}`);
    return match.slice(1);
  };
  const [npm] = pick(row('TypeScript'), /`npm install (\S+) /);
  const [pypi, pythonModule] = pick(row('Python'), /`pip install (\S+)` \(module `(\w+)`\)/);
  const [mavenGroup, mavenArtifact, javaPackage] = pick(row('Java'), /Maven `([^:`]+):([^`]+)`, package `([\w.]+)`/);
  const [nugetId, dotnetNamespace] = pick(row('.NET'), /`dotnet add package (\S+)` \(namespace `([\w.]+)`\)/);
  const [goImportPath, goPackage] = pick(row('Go'), /`go get (\S+)` \(package `(\w+)`\)/);
  return { npm, pypi, pythonModule, mavenGroup, mavenArtifact, javaPackage, nugetId, dotnetNamespace, goImportPath, goPackage };
}
const NAMES = readmeNames();

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): string {
  // stderr is captured (a failure's message carries it), so the jsii runtime's banners do not clutter the output
  return execFileSync(command, args, {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeout ?? 120_000, cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024,
  });
}

/** One file of a zip archive (wheel, jar, nupkg). */
function unzipFile(archive: string, member: string): string {
  return run('python3', ['-c', 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())', archive, member]);
}
function unzipList(archive: string): string[] {
  return run('python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', archive]).trim().split('\n');
}

let scratch: string;
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-iot-release-test-'));
});
afterAll(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

describe('the release', () => {
  test('GIVEN the rehearsal WHEN its version files are read THEN it is a 0.x version with its tag and changelog', () => {
    expect(VERSION).toMatch(/^0\.\d+\.\d+$/);
    expect(VERSION).not.toEqual('0.0.0');
    expect(fs.readFileSync(path.join(DIST, 'releasetag.txt'), 'utf8').trim()).toEqual(`v${VERSION}`);
    expect(fs.readFileSync(path.join(DIST, 'changelog.md'), 'utf8')).toMatch(new RegExp(`^## \\[?${VERSION.replace(/\./g, '\\.')}\\]?`, 'm'));
  });
});

describe('the npm tarball', () => {
  const tarball = () => path.join(DIST, 'js', `${NAMES.npm}@${VERSION}.jsii.tgz`);
  let files: string[];
  let modes: Map<string, string>;
  let pkg: any;
  let unpacked: string;

  beforeAll(() => {
    const listing = run('tar', ['-tvzf', tarball()]).trim().split('\n');
    modes = new Map(listing.map((line) => {
      const fields = line.trim().split(/\s+/);
      return [fields[fields.length - 1].replace(/^package\//, ''), fields[0]] as const;
    }));
    files = [...modes.keys()].filter((f) => !f.endsWith('/'));
    unpacked = path.join(scratch, 'npm');
    fs.mkdirSync(unpacked);
    run('tar', ['-xzf', tarball(), '-C', unpacked, '--strip-components=1']);
    pkg = JSON.parse(fs.readFileSync(path.join(unpacked, 'package.json'), 'utf8'));
  });

  test('GIVEN the tarball WHEN listed THEN it holds the compiled library, the bundles, the docs and nothing else', () => {
    const allowed = [
      /^(package\.json|README\.md|LICENSE|API\.md|CHANGELOG\.md|\.jsii|\.jsii\.tabl\.json)$/, // .jsii.tabl.json: the README's translations for jsii-pacmak
      /^lib\/.+\.(js|d\.ts)$/, // the jsii-compiled construct
      /^assets\/(reference-parser|certificate-provider|replay-worker)\/index\.js$/, // the Lambda handlers, bundled
      /^assets\/reference-parser\/decoders\/(cbor|protobuf|delimited|csv)\.js$/, // the reference parser's payload decoders, one file each
      /^assets\/parser-toolkit\/(index\.js|index\.d\.ts|README\.md|types\/.+\.d\.ts)$/, // the parser-toolkit subpath export and its reference
      /^assets\/parser-toolkit-python\/(README\.md|cdk_iot_parser_toolkit\/[a-z_]+\.py)$/, // the Python toolkit Parser.fromPython ships
      /^assets\/cli\/(index\.js|index\.js\.map|node-worker\.js|python_shim\.py)$/, // the cdk-iot-pipeline command, its source map and runtimes
      /^assets\/cli\/vendor\/[a-z0-9-]+\.js$/, // the CLI's dependencies, split out so each command loads only its own
    ];
    expect(files.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([]);
    for (const expected of ['lib/index.js', 'lib/index.d.ts', '.jsii', 'README.md', 'LICENSE', 'assets/cli/index.js',
      'assets/reference-parser/index.js', 'assets/certificate-provider/index.js', 'assets/replay-worker/index.js',
      'assets/parser-toolkit/index.js', 'assets/parser-toolkit/README.md',
      'assets/parser-toolkit-python/cdk_iot_parser_toolkit/__init__.py']) {
      expect(files).toContain(expected);
    }
    // no tests, fixtures (rosetta's included), TypeScript sources (declarations excepted), other source maps or build configuration
    expect(files.filter((f) => /(^|\/)(test|tests|fixtures|__snapshots__|rosetta)\//.test(f) || /(?<!\.d)\.ts$/.test(f)
      || (/\.map$/.test(f) && f !== 'assets/cli/index.js.map') || /tsconfig|\.projen/.test(f))).toEqual([]);
  });

  test('GIVEN the shipped JavaScript WHEN read THEN lib/ and the CLI carry source maps, the Lambda bundles none', () => {
    // Intended: jsii compiles lib/ with inline source maps (sources inlined), so a user's stack trace names src/*.ts
    // lines. The minified CLI entry points at its map file beside it (a CLI stack trace names cli/ and local/ lines);
    // the handlers, the toolkit and the CLI's vendor chunks ship without maps.
    const inlineMap = /^\/\/# sourceMappingURL=data:application\/json;base64,/m;
    const lib = files.filter((f) => f.startsWith('lib/') && f.endsWith('.js'));
    expect(lib.length).toBeGreaterThan(10);
    expect(lib.filter((f) => !inlineMap.test(fs.readFileSync(path.join(unpacked, f), 'utf8')))).toEqual([]);
    const bundles = files.filter((f) => f.startsWith('assets/') && f.endsWith('.js'));
    expect(bundles.length).toBeGreaterThanOrEqual(5);
    expect(bundles.filter((f) => /^\/\/# sourceMappingURL=/m.test(fs.readFileSync(path.join(unpacked, f), 'utf8')))).toEqual(['assets/cli/index.js']);
    expect(fs.readFileSync(path.join(unpacked, 'assets/cli/index.js'), 'utf8')).toMatch(/^\/\/# sourceMappingURL=index\.js\.map$/m);
    const map = JSON.parse(fs.readFileSync(path.join(unpacked, 'assets/cli/index.js.map'), 'utf8'));
    expect(map.sources.some((source: string) => /(^|\/)cli\/commands\/local\.ts$/.test(source))).toBe(true);
  });

  test('GIVEN package.json WHEN read THEN the version, the bin, the exports and the peer ranges are the published ones', () => {
    expect(pkg.name).toEqual(NAMES.npm);
    expect(pkg.version).toEqual(VERSION);
    expect(pkg.bin).toEqual({ 'cdk-iot-pipeline': 'assets/cli/index.js' });
    expect(pkg.main).toEqual('lib/index.js');
    expect(pkg.types).toEqual('lib/index.d.ts');
    expect(pkg.exports['.']).toEqual({ types: './lib/index.d.ts', default: './lib/index.js' });
    expect(pkg.exports['./parser-toolkit']).toEqual({ types: './assets/parser-toolkit/index.d.ts', default: './assets/parser-toolkit/index.js' });
    for (const target of [pkg.main, pkg.types, ...Object.values(pkg.bin), ...Object.values<any>(pkg.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)))]) {
      expect([target, files.includes(String(target).replace(/^\.\//, ''))]).toEqual([target, true]);
    }
    expect(pkg.peerDependencies).toEqual({ 'aws-cdk-lib': `^${CDK_FLOOR}`, 'constructs': `^${CONSTRUCTS_FLOOR}` });
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.bundledDependencies ?? []).toEqual([]);
  });

  test('GIVEN package.json WHEN read THEN the metadata Construct Hub lists is there', () => {
    expect(pkg.keywords).toEqual(expect.arrayContaining(['awscdk', 'cdk', 'iot', 'firehose']));
    expect(pkg.description).toMatch(/AWS IoT Core.*Firehose.*S3/);
    expect(pkg.license).toEqual('Apache-2.0');
    expect(pkg.repository).toEqual({ type: 'git', url: expect.stringMatching(/^https:\/\/github\.com\/.+\.git$/) });
    expect(pkg.author).toEqual(expect.objectContaining({ name: expect.any(String) }));
    expect(pkg.stability).toEqual('experimental');
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.jsii.targets).toEqual({
      java: { package: NAMES.javaPackage, maven: { groupId: NAMES.mavenGroup, artifactId: NAMES.mavenArtifact } },
      python: { distName: NAMES.pypi, module: NAMES.pythonModule },
      dotnet: { namespace: NAMES.dotnetNamespace, packageId: NAMES.nugetId },
      go: { moduleName: NAMES.goImportPath.replace(/\/[^/]+$/, ''), packageName: NAMES.goPackage },
    });
  });

  test('GIVEN the bin WHEN run from the unpacked tarball THEN it is an executable node script that answers --help', () => {
    expect(modes.get('assets/cli/index.js')).toMatch(/^-rwx/);
    expect(fs.readFileSync(path.join(unpacked, 'assets/cli/index.js'), 'utf8').split('\n')[0]).toEqual('#!/usr/bin/env node');
    const help = run(process.execPath, [path.join(unpacked, 'assets/cli/index.js'), '--help'], { cwd: scratch });
    expect(help).toMatch(/cdk-iot-pipeline/);
    expect(help).toMatch(/publish/);
  });
});

describe('the Python wheel', () => {
  const wheelName = () => `${NAMES.pythonModule}-${VERSION}-py3-none-any.whl`;

  test('GIVEN the wheel and sdist WHEN listed THEN both are there with the README\'s names', () => {
    const built = fs.readdirSync(path.join(DIST, 'python')).sort();
    expect(built).toEqual([wheelName(), `${NAMES.pythonModule}-${VERSION}.tar.gz`].sort());
  });

  test('GIVEN the wheel\'s metadata WHEN read THEN it requires aws-cdk-lib from the floor below 3 and constructs', () => {
    const metadata = unzipFile(path.join(DIST, 'python', wheelName()), `${NAMES.pythonModule}-${VERSION}.dist-info/METADATA`);
    expect(metadata).toMatch(new RegExp(`^Name: ${NAMES.pypi}$`, 'm'));
    expect(metadata).toMatch(new RegExp(`^Version: ${VERSION.replace(/\./g, '\\.')}$`, 'm'));
    const requires = [...metadata.matchAll(/^Requires-Dist: (.+)$/gm)].map((m) => m[1].replace(/\s+/g, ''));
    const requirement = (name: string) => requires.find((r) => r.startsWith(name + '<') || r.startsWith(name + '>'));
    expect(new Set(requirement('aws-cdk-lib')?.replace(/^aws-cdk-lib/, '').split(','))).toEqual(new Set([`>=${CDK_FLOOR}`, '<3.0.0']));
    expect(new Set(requirement('constructs')?.replace(/^constructs/, '').split(','))).toEqual(new Set([`>=${CONSTRUCTS_FLOOR}`, '<11.0.0']));
  });

  test('GIVEN a fresh venv WHEN the wheel is installed with aws-cdk-lib at the floor THEN pip check passes and the module imports', () => {
    const venv = path.join(scratch, 'venv');
    const env = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PYTHONDONTWRITEBYTECODE: '1', JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '1', JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1', JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION: '1' };
    run('python3', ['-m', 'venv', venv], { env });
    const python = path.join(venv, 'bin', 'python');
    // aws-cdk-lib pinned to the floor: the wheel must accept it (pip resolves the rest from the wheel's requirements)
    run(python, ['-m', 'pip', 'install', '--quiet', '--no-compile', path.join(DIST, 'python', wheelName()), `aws-cdk-lib==${CDK_FLOOR}`], { env, timeout: 900_000 });
    run(python, ['-m', 'pip', 'check'], { env });
    const out = run(python, ['-c', [
      'import importlib.metadata as md',
      `import ${NAMES.pythonModule} as lib`,
      `print(md.version("${NAMES.pypi}"), md.version("aws-cdk-lib"), lib.IotCoreFirehosePipeline.__name__, lib.Parser.reference.__name__)`,
    ].join('\n')], { env, timeout: 300_000 });
    expect(out.trim()).toEqual(`${VERSION} ${CDK_FLOOR} IotCoreFirehosePipeline reference`);
  }, 1_200_000);
});

describe('the Maven artifact', () => {
  const dir = () => path.join(DIST, 'java', ...NAMES.mavenGroup.split('.'), NAMES.mavenArtifact, VERSION);
  const base = () => `${NAMES.mavenArtifact}-${VERSION}`;
  const dependencyVersion = (pom: string, artifactId: string) => {
    const dep = [...pom.matchAll(/<dependency>([\s\S]*?)<\/dependency>/g)].map((m) => m[1]).find((d) => d.includes(`<artifactId>${artifactId}</artifactId>`));
    return /<version>([^<]+)<\/version>/.exec(dep ?? '')?.[1];
  };

  test('GIVEN the Maven repository layout WHEN listed THEN the jar, its sources and javadoc and the POM are there (Maven Central requires all four)', () => {
    const built = fs.readdirSync(dir());
    for (const file of [`${base()}.jar`, `${base()}-sources.jar`, `${base()}-javadoc.jar`, `${base()}.pom`]) {
      expect(built).toContain(file);
    }
    expect(unzipList(path.join(dir(), `${base()}.jar`))).toContain(`${NAMES.javaPackage.replace(/\./g, '/')}/IotCoreFirehosePipeline.class`);
  });

  test('GIVEN the POM WHEN read THEN aws-cdk-lib and constructs are the peer ranges from the floors, not pinned to the newest releases', () => {
    const pom = fs.readFileSync(path.join(dir(), `${base()}.pom`), 'utf8');
    expect(pom).toContain(`<groupId>${NAMES.mavenGroup}</groupId>`);
    expect(pom).toContain(`<artifactId>${NAMES.mavenArtifact}</artifactId>`);
    expect(pom).toContain(`<version>${VERSION}</version>`);
    expect(dependencyVersion(pom, 'aws-cdk-lib')).toEqual(`[${CDK_FLOOR},3.0.0)`);
    expect(dependencyVersion(pom, 'constructs')).toEqual(`[${CONSTRUCTS_FLOOR},11.0.0)`);
    // the checksums beside it are the rewritten POM's (projenrc/pom-peer-ranges.ts)
    expect(fs.readFileSync(path.join(dir(), `${base()}.pom.sha1`), 'utf8').trim()).toEqual(createHash('sha1').update(pom).digest('hex'));
    // what Maven Central checks in a POM
    for (const element of ['<name>', '<description>', '<url>', '<licenses>', '<scm>', '<developers>']) {
      expect([element, pom.includes(element)]).toEqual([element, true]);
    }
  });
});

describe('the Go module', () => {
  // aws-cdk-go before v2.239.0 does not compile with constructs-go v10.5 (the constructs floor): the Go module
  // requires v2.239.0 instead of the aws-cdk-lib floor (projenrc/release.ts, package:go).
  const GO_AWSCDK_FLOOR = '2.239.0';
  const moduleDir = () => path.join(DIST, 'go', NAMES.goPackage);
  const escape = (text: string) => text.replace(/[.]/g, '\\.');

  test('GIVEN go.mod WHEN read THEN the module path is the README\'s and it requires aws-cdk-go and constructs-go at their Go floors', () => {
    const goMod = fs.readFileSync(path.join(moduleDir(), 'go.mod'), 'utf8');
    expect(goMod).toMatch(new RegExp(`^module ${escape(NAMES.goImportPath)}$`, 'm'));
    expect(goMod).toMatch(new RegExp(`^\\s*github\\.com/aws/aws-cdk-go/awscdk/v2 v${escape(GO_AWSCDK_FLOOR)}$`, 'm'));
    expect(goMod).toMatch(new RegExp(`^\\s*github\\.com/aws/constructs-go/constructs/v10 v${escape(CONSTRUCTS_FLOOR)}$`, 'm'));
    expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain(`\`github.com/aws/aws-cdk-go/awscdk/v2\` ≥ v${GO_AWSCDK_FLOOR}`);
    expect(fs.readFileSync(path.join(moduleDir(), 'version'), 'utf8').trim()).toEqual(VERSION);
    // what jsii-pacmak's build leaves behind must not be published
    expect(fs.readdirSync(moduleDir()).filter((f) => f.startsWith('local.'))).toEqual([]);
    const sources = fs.readdirSync(moduleDir()).filter((f) => f.endsWith('.go'));
    expect(sources.length).toBeGreaterThan(10);
    for (const source of sources) {
      expect([source, /^package (\w+)$/m.exec(fs.readFileSync(path.join(moduleDir(), source), 'utf8'))?.[1]]).toEqual([source, NAMES.goPackage]);
    }
  });

  test('GIVEN a Go program importing the README\'s module path WHEN it is vetted and run THEN it synthesizes a pipeline', () => {
    // GIVEN a user's Go program, with the module resolved to the rehearsal's copy instead of the Go repository
    const app = path.join(scratch, 'go-app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'go.mod'), [
      'module example.com/telemetry', '', 'go 1.25', '',
      `require ${NAMES.goImportPath} v${VERSION}`, '',
      `replace ${NAMES.goImportPath} => ${moduleDir()}`, '',
    ].join('\n'));
    fs.writeFileSync(path.join(app, 'main.go'), `package main

import (
\t"fmt"

\t"github.com/aws/aws-cdk-go/awscdk/v2"
\t"github.com/aws/jsii-runtime-go"
\tpipeline "${NAMES.goImportPath}"
)

func main() {
\tapp := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String("cdk.out")})
\tstack := awscdk.NewStack(app, jsii.String("Telemetry"), nil)
\tpipeline.NewIotCoreFirehosePipeline(stack, jsii.String("Pipeline"), &pipeline.IotCoreFirehosePipelineProps{
\t\tTopic: jsii.String("iot-test-topic"),
\t})
\ttemplate := app.Synth(nil).GetStackArtifact(jsii.String("Telemetry")).Template().(map[string]interface{})
\tcounts := map[string]int{}
\tfor _, resource := range template["Resources"].(map[string]interface{}) {
\t\tcounts[resource.(map[string]interface{})["Type"].(string)]++
\t}
\tfmt.Println(counts["AWS::IoT::TopicRule"], counts["AWS::KinesisFirehose::DeliveryStream"], counts["AWS::IoT::Thing"])
}
`);
    const env = { ...process.env, GOFLAGS: '-mod=mod', JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '1', JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1', JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION: '1' };
    run('go', ['mod', 'tidy'], { cwd: app, env, timeout: 900_000 });
    // WHEN the module is vetted and the program runs
    run('go', ['vet', `${NAMES.goImportPath}/...`], { cwd: app, env, timeout: 900_000 });
    const out = run('go', ['run', '.'], { cwd: app, env, timeout: 900_000 });
    // THEN two topic rules (the pipeline's and the rejected-messages rule), one delivery stream and one thing were synthesized
    expect(out.trim().split('\n').pop()).toEqual('2 1 1');
  }, 2_000_000);
});

describe('the NuGet package', () => {
  // With the .NET SDK, jsii-pacmak writes the .nupkg; without it the rehearsal generates the .NET project only
  // (`jsii-pacmak --code-only`) and reports the NuGet build as blocked.
  const nupkg = () => path.join(DIST, 'dotnet', `${NAMES.nugetId}.${VERSION}.nupkg`);

  test('GIVEN the .NET output WHEN read THEN the package id, version, namespace and aws-cdk-lib range are the README\'s and the floor\'s', () => {
    let project: string;
    if (fs.existsSync(nupkg())) {
      project = unzipFile(nupkg(), `${NAMES.nugetId}.nuspec`);
      expect(project).toContain(`<id>${NAMES.nugetId}</id>`);
      expect(project).toContain(`<version>${VERSION}</version>`);
      expect(project).toMatch(new RegExp(`id="Amazon.CDK.Lib" version="\\[${CDK_FLOOR.replace(/\./g, '\\.')}, ?3\\.0\\.0\\)"`));
    } else {
      const csproj = path.join(DIST, 'dotnet', NAMES.nugetId, `${NAMES.nugetId}.csproj`);
      project = fs.readFileSync(csproj, 'utf8');
      expect(project).toContain(`<PackageId>${NAMES.nugetId}</PackageId>`);
      expect(project).toContain(`<PackageVersion>${VERSION}</PackageVersion>`);
      expect(project).toMatch(new RegExp(`Include="Amazon.CDK.Lib" Version="\\[${CDK_FLOOR.replace(/\./g, '\\.')},3\\.0\\.0\\)"`));
      const source = fs.readFileSync(path.join(DIST, 'dotnet', NAMES.nugetId, NAMES.dotnetNamespace, 'IotCoreFirehosePipeline.cs'), 'utf8');
      expect(source).toMatch(new RegExp(`^namespace ${NAMES.dotnetNamespace.replace(/\./g, '\\.')}$`, 'm'));
    }
  });
});
