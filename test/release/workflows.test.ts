/**
 * The GitHub workflows projen generates (.github/workflows, from .projenrc.ts) release what the README promises:
 * from main, 0.x, to the five registries, npm with provenance, PyPI without a stored token; and every secret they
 * read is named in the README's "Releasing" section (and no secret named there is unused). actionlint checks the
 * files themselves (`npx projen lint:workflows`); the rehearsal checks the artifacts (`npx projen release:rehearse`).
 */
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const WORKFLOWS = join(ROOT, '.github', 'workflows');

interface Step { readonly name?: string; readonly uses?: string; readonly run?: string; readonly env?: Record<string, string> }
interface Job { readonly needs?: string | string[]; readonly permissions?: Record<string, string>; readonly steps: Step[] }
interface Workflow { readonly on: Record<string, any>; readonly jobs: Record<string, Job> }

function workflow(name: string): Workflow {
  return parse(readFileSync(join(WORKFLOWS, name), 'utf8')) as Workflow;
}

function releasingSection(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const match = /^## Releasing\n([\s\S]*?)^## /m.exec(readme);
  if (!match) throw new Error('README.md has no "## Releasing" section');
  return match[1];
}

function publishStep(job: Job): Step {
  const step = job.steps.find((s) => /publib-/.test(s.run ?? ''));
  if (!step) throw new Error('no publib step');
  return step;
}

describe('the generated workflows', () => {
  test('GIVEN the workflows WHEN listed THEN there are the pull-request build, the release, the upgrade and the title check', () => {
    expect(readdirSync(WORKFLOWS).sort()).toEqual(['build.yml', 'pull-request-lint.yml', 'release.yml', 'upgrade-main.yml']);
    expect(Object.keys(workflow('build.yml').on)).toContain('pull_request');
    expect(workflow('upgrade-main.yml').on.schedule).toEqual([{ cron: expect.stringMatching(/^\S+ \S+ \S+ \S+ \S+$/) }]);
  });

  test('GIVEN release.yml WHEN read THEN a push to main builds once and publishes that build to npm, PyPI, Maven Central, NuGet, Go and GitHub', () => {
    const release = workflow('release.yml');
    expect(release.on.push).toEqual({ branches: ['main'] });
    expect(release.jobs.release.steps.map((s) => s.run)).toContain('npx projen release');
    const publishers: Record<string, string> = {
      release_npm: 'publib-npm', release_pypi: 'publib-pypi', release_maven: 'publib-maven', release_nuget: 'publib-nuget', release_golang: 'publib-golang',
    };
    for (const [job, command] of Object.entries(publishers)) {
      expect(release.jobs[job].needs).toEqual('release');
      expect(publishStep(release.jobs[job]).run).toContain(command);
    }
    expect(release.jobs.release_github.needs).toEqual(expect.arrayContaining(['release', ...Object.keys(publishers)]));
  });

  test('GIVEN the publish jobs WHEN read THEN npm publishes with provenance, PyPI by trusted publishing and Maven through the Central Portal', () => {
    const jobs = workflow('release.yml').jobs;
    expect(publishStep(jobs.release_npm).env).toMatchObject({ NPM_CONFIG_PROVENANCE: 'true', NPM_REGISTRY: 'registry.npmjs.org' });
    expect(jobs.release_npm.permissions).toMatchObject({ 'id-token': 'write' });
    expect(publishStep(jobs.release_pypi).env).toMatchObject({ PYPI_TRUSTED_PUBLISHER: 'true' });
    expect(Object.keys(publishStep(jobs.release_pypi).env ?? {})).not.toContain('TWINE_PASSWORD');
    expect(jobs.release_pypi.permissions).toMatchObject({ 'id-token': 'write' });
    expect(publishStep(jobs.release_maven).env).toMatchObject({ MAVEN_SERVER_ID: 'central-ossrh' });
  });

  test('GIVEN the release task WHEN read THEN it stays on 0.x and the first release is 0.1.0', () => {
    const tasks = JSON.parse(readFileSync(join(ROOT, '.projen', 'tasks.json'), 'utf8')).tasks;
    expect(tasks.release.env).toMatchObject({ MAJOR: '0' });
    expect(tasks.release.steps.map((s: any) => s.spawn ?? s.exec ?? s.execArgs?.join(' '))).toEqual([
      'rm -fr dist', 'bump', 'build', 'unbump', 'git diff --ignore-space-at-eol --exit-code',
    ]);
    expect(JSON.stringify(tasks['bump:next-version'].steps)).toContain('0.1.0');
  });

  test('GIVEN every secret the workflows read WHEN compared with the README\'s Releasing section THEN each is named there, and nothing else is', () => {
    const used = new Set<string>();
    for (const file of readdirSync(WORKFLOWS)) {
      for (const m of readFileSync(join(WORKFLOWS, file), 'utf8').matchAll(/secrets\.([A-Z0-9_]+)/g)) used.add(m[1]);
    }
    const section = releasingSection();
    const documented = new Set([...section.matchAll(/^\| ([^|]+) \|/gm)]
      .flatMap((row) => [...row[1].matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1])));
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((s) => !documented.has(s))).toEqual([]);
    expect([...documented].filter((s) => !used.has(s))).toEqual([]);
  });
});
