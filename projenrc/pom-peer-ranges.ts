/**
 * Run by `npx projen package:java` after jsii-pacmak: put the peer dependencies back into the published POM as the
 * version ranges package.json declares (aws-cdk-lib `^2.222.0` → `[2.222.0,3.0.0)`, constructs `^10.5.1` →
 * `[10.5.1,11.0.0)`), and rewrite the POM's .md5/.sha1 files.
 *
 * jsii-pacmak generates exactly those ranges, then runs versions-maven-plugin:resolve-ranges, which pins each to the
 * newest release on Maven Central on the day of the build. A pinned POM forces that release on Java users: Gradle
 * takes the highest version in the dependency graph, so it would upgrade an app's own aws-cdk-lib to it, and a Maven
 * app that does not declare aws-cdk-lib gets a version the library never asked for. With the range, the app's own
 * declaration is used as long as it is at least the floor (examples/java-app builds against 2.222.0).
 *
 * The copy of the POM inside the jar (META-INF/maven/…/pom.xml) is informational — Maven and Gradle resolve from the
 * .pom beside the jar — and keeps jsii-pacmak's pins.
 */
import { createHash } from 'crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';

const ROOT = join(__dirname, '..');
const JAVA_DIST = join(ROOT, 'dist', 'java');

/** `^X.Y.Z` → `[X.Y.Z,(X+1).0.0)`: the only form the peer dependencies use. */
export function caretToMavenRange(range: string): string {
  const match = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
  if (!match) throw new Error(`peer dependency range ${range} is not ^X.Y.Z: extend projenrc/pom-peer-ranges.ts to translate it`);
  return `[${match[1]}.${match[2]}.${match[3]},${Number(match[1]) + 1}.0.0)`;
}

function poms(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = join(dir, name);
    if (statSync(file).isDirectory()) return poms(file);
    return name.endsWith('.pom') ? [file] : [];
  });
}

function main(): void {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const peers = Object.entries<string>(pkg.peerDependencies ?? {}).map(([name, range]) => {
    const maven = JSON.parse(readFileSync(require.resolve(`${name}/package.json`, { paths: [ROOT] }), 'utf8')).jsii?.targets?.java?.maven;
    if (!maven) throw new Error(`${name} has no Java (Maven) coordinates in its package.json`);
    return { name, groupId: maven.groupId as string, artifactId: maven.artifactId as string, range: caretToMavenRange(range) };
  });
  const files = poms(JAVA_DIST);
  if (files.length === 0) throw new Error(`no .pom under ${JAVA_DIST}: run jsii-pacmak --target java first`);
  for (const file of files) {
    let pom = readFileSync(file, 'utf8');
    for (const peer of peers) {
      const dependency = new RegExp(`(<groupId>${peer.groupId.replace(/\./g, '\\.')}</groupId>\\s*<artifactId>${peer.artifactId}</artifactId>\\s*<version>)([^<]*)(</version>)`, 'g');
      const found = [...pom.matchAll(dependency)];
      if (found.length !== 1) throw new Error(`${file}: expected one ${peer.groupId}:${peer.artifactId} dependency, found ${found.length}`);
      console.log(`${file.slice(ROOT.length + 1)}: ${peer.groupId}:${peer.artifactId} ${found[0][2]} → ${peer.range}`);
      pom = pom.replace(dependency, `$1${peer.range}$3`);
    }
    writeFileSync(file, pom);
    for (const algorithm of ['md5', 'sha1']) {
      writeFileSync(`${file}.${algorithm}`, createHash(algorithm).update(pom).digest('hex'));
    }
  }
}

if (require.main === module) main();
