#!/usr/bin/env bash
# Release rehearsal (`npx projen release:rehearse`): what .github/workflows/release.yml does on a push to main, run
# on this machine in a temporary clone of the committed HEAD, with nothing published:
#   1. the `release` job: `npm ci` and `npx projen release` (bump from the conventional commits since the last tag:
#      dist/version.txt, dist/changelog.md, dist/releasetag.txt; build and test with the bumped version: dist/js;
#      unbump; and nothing tracked may have changed);
#   2. each publish job: the npm tarball unpacked over the checkout, then `npx projen package:<lang>`: dist/python,
#      dist/java, dist/go and dist/dotnet (the NuGet package needs the .NET SDK: without `dotnet` on PATH only the
#      .NET project jsii-pacmak generates is written, and the NuGet build is reported as blocked);
#   3. test/release/*.release.test.ts inspects every artifact (RELEASE_DIST points at the clone's dist/);
#   4. the version policy: after a v0.1.0 tag, a breaking change releases 0.2.0 (0.x until the API is stable).
# Network: the npm registry, PyPI, Maven Central and the Go module proxy only.
#
# Usage: test/release/rehearse.sh [--skip-tests] [--keep]
#   --skip-tests  run the `release` task's steps with the build less its `test` step, for a CI run that has just
#                 run `npx projen build` (all tests) on the same commit: everything else is as in the workflow
#   --keep        leave the clone and print where it is
set -euo pipefail

keep=false
skip_tests=false
for arg in "$@"; do
  case "$arg" in
    --keep) keep=true ;;
    --skip-tests) skip_tests=true ;;
    *) echo "usage: $0 [--skip-tests] [--keep]" >&2; exit 2 ;;
  esac
done

repo=$(git rev-parse --show-toplevel)
work=$(mktemp -d "${TMPDIR:-/tmp}/cdk-iot-release.XXXXXX")
clone="$work/repo"
cleanup() {
  if $keep; then echo "::: the rehearsal clone is kept at $clone"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# As in the workflow: CI mode, and no jsii end-of-life banners in every jsii-pacmak child process.
export CI=true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=1 JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION=1
export PIP_DISABLE_PIP_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true AWS_EC2_METADATA_DISABLED=true
# The Go module proxy reachable from this project's machines serves aws-cdk-go v2.239.0 (the Go module's floor, see
# projenrc/release.ts) but not its checksum-database entry (404): go verifies that module against the downloaded zip
# only. Everything else is checked against the checksum database as usual; release.yml sets nothing like this.
export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/aws/aws-cdk-go"

step() {
  local name=$1; shift
  local t0; t0=$(date +%s)
  echo "::: release rehearsal: ${name}"
  "$@"
  echo "::: release rehearsal: ${name} took $(( $(date +%s) - t0 ))s"
}

# --- 1. the release job -------------------------------------------------------------------------------------------
checkout() {
  git clone --quiet --no-local "$repo" "$clone"
  git -C "$clone" log --oneline -1
  (cd "$clone" && npm ci --no-audit --no-fund --loglevel=error)
}
step "clone HEAD and npm ci" checkout
cd "$clone"
# The `release` task's steps, read from .projen/tasks.json, with the `build` task's steps less `test`: bump (with
# the release task's environment: RELEASE, MAJOR), default, pre-compile, compile, post-compile, package, unbump,
# and the check that nothing tracked changed.
release_without_tests() {
  local plan
  plan=$(node -e '
    const { tasks } = require("./.projen/tasks.json");
    const line = (s) => s.spawn ? `npx projen ${s.spawn}` : (s.exec ?? s.execArgs.join(" "));
    const out = Object.entries(tasks.release.env ?? {}).map(([k, v]) => `export ${k}=${JSON.stringify(v)}`);
    for (const s of tasks.release.steps) {
      if (s.spawn === "build") out.push(...tasks.build.steps.filter((b) => b.spawn !== "test").map(line));
      else out.push(line(s));
    }
    console.log(out.join("\n"));')
  echo "$plan"
  bash -euo pipefail -c "$plan"
}
if $skip_tests; then
  step "the release task's steps, the build without its tests (bump, build, unbump)" release_without_tests
else
  step "npx projen release (bump, build, unbump)" npx projen release
fi
version=$(cat dist/version.txt)
echo "::: release rehearsal: version $version, tag $(cat dist/releasetag.txt)"

# --- 2. the publish jobs: the tarball over the checkout, then one jsii-pacmak target each -------------------------
unpack_tarball() {
  tar --strip-components=1 -xzf dist/js/*.tgz -C .
  mv dist dist.release
  mkdir dist
}
step "unpack the npm tarball over the checkout" unpack_tarball
step "package:python" npx projen package:python
step "package:java" npx projen package:java
step "package:go" npx projen package:go
package_dotnet() {
  if command -v dotnet >/dev/null; then
    npx projen package:dotnet
  else
    # The NuGet package is built by `dotnet pack`: without the .NET SDK only the project is generated.
    npx jsii-pacmak --target dotnet --code-only
    echo "::: release rehearsal: NuGet BLOCKED: no .NET SDK ('dotnet') on this machine (dotnet pack also restores Amazon.CDK.Lib and Amazon.JSII.Runtime from nuget.org); dist/dotnet holds the generated .NET project only"
  fi
}
step "package:dotnet" package_dotnet
# The release job's dist/ (js, version, changelog, tag) beside the publish jobs' outputs.
mv dist.release/* dist/
rmdir dist.release

echo "::: release rehearsal: artifacts of $version (bytes)"
find dist -type f \( -name '*.tgz' -o -name '*.whl' -o -name '*.tar.gz' -o -name '*.jar' -o -name '*.pom' -o -name '*.nupkg' -o -name '*.txt' -o -name '*.md' \) -printf '%12s  %P\n' | sort -k2
for dir in dist/go dist/dotnet; do
  [ -d "$dir" ] && printf '%12s  %s/ (%s files)\n' "$(du -sb "$dir" | cut -f1)" "${dir#dist/}" "$(find "$dir" -type f | wc -l)"
done

# --- 3. the artifact tests ------------------------------------------------------------------------------------------
run_tests() {
  (cd "$repo" && RELEASE_DIST="$clone/dist" npx jest --coverage=false --testPathIgnorePatterns /node_modules/ \
    --testMatch '<rootDir>/test/release/**/*.release.test.ts')
}
step "artifact tests (test/release/*.release.test.ts)" run_tests

# --- 4. the version policy: 0.x until the API is declared stable ----------------------------------------------------
version_policy() {
  local policy="$work/policy" got
  git clone --quiet --no-local "$clone" "$policy"
  ln -s "$clone/node_modules" "$policy/node_modules"
  git -C "$policy" tag v0.1.0
  git -C "$policy" -c user.name=rehearsal -c user.email=rehearsal@localhost commit --quiet --allow-empty \
    -m 'feat!: a breaking change' -m 'BREAKING CHANGE: rehearsal only'
  (cd "$policy" && npx projen bump >/dev/null)
  got=$(cat "$policy/dist/version.txt")
  if [ "$got" != "0.2.0" ]; then
    echo "after v0.1.0, a breaking change released $got: expected 0.2.0 (majorVersion 0)"
    return 1
  fi
  echo "after v0.1.0, a breaking change releases $got"
}
step "version policy (breaking change on 0.x)" version_policy

echo "::: release rehearsal passed: $version"
