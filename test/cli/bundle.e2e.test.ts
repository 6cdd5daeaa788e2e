/**
 * The shipped CLI (`assets/cli/`, built by `npx projen pre-compile` with projenrc/bundle-cli.ts): the program file
 * plus one vendor file per heavy package group, each read only by the commands that use it, minified, with source maps.
 */
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import { SHIPPED_CLI_ASSETS as ASSETS, SHIPPED_CLI_PROGRAM as PROGRAM, useShippedCli } from '../support/shipped-cli';

const cli = useShippedCli('cli-bundle-');
const run = cli.run;

test('GIVEN --help and cost THEN only the program file is read', () => {
  // WHEN
  const help = run('--help');
  const cost = run('cost', '--devices', '1000', '--interval', '10s', '--payload', '300B', '--json');
  // THEN
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: cdk-iot-pipeline/);
  expect(cost.code).toBe(0);
  expect(JSON.parse(cost.stdout).totalUsd).toBeCloseTo(378.93, 2);
  expect(help.loaded).toEqual(['index.js']);
  expect(cost.loaded).toEqual(['index.js']);
});

test('GIVEN local certs THEN node-forge\'s vendor file is read, and no other', () => {
  // WHEN
  const r = run('local', 'certs', '--thing', 'bundle-test', '--out', join(cli.dir(), 'certs'), '--data-dir', join(cli.dir(), 'data'));
  // THEN
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('bundle-test.cert.pem');
  expect(r.loaded).toEqual(['index.js', 'vendor/node-forge.js']);
});

test('GIVEN publish without a certificate THEN the usage error comes from the program and the AWS SDK and mqtt load from their vendor files', () => {
  // WHEN
  const r = run('publish', '--endpoint', 'h', '--client-id', 'c', '--topic', 't');
  // THEN
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('No client certificate');
  expect(r.loaded).toEqual(expect.arrayContaining(['index.js', 'vendor/aws-sdk.js', 'vendor/mqtt.js']));
  expect(r.loaded).not.toContain('vendor/aedes.js');
});

test('GIVEN the bundle THEN the program is executable with a node shebang and a source map, and every file is minified', () => {
  // THEN
  const program = readFileSync(PROGRAM, 'utf8');
  expect(program.split('\n')[0]).toBe('#!/usr/bin/env node');
  expect(() => accessSync(PROGRAM, constants.X_OK)).not.toThrow();
  expect(program.trimEnd().split('\n').pop()).toBe('//# sourceMappingURL=index.js.map');
  const map = JSON.parse(readFileSync(`${PROGRAM}.map`, 'utf8')) as { version: number; sources: string[] };
  expect(map.version).toBe(3);
  expect(map.sources).toEqual(expect.arrayContaining([expect.stringMatching(/cli\/index\.ts$/), expect.stringMatching(/local\/runner\.ts$/)]));
  const files = ['index.js', ...readdirSync(join(ASSETS, 'vendor')).filter((n) => n.endsWith('.js')).map((n) => `vendor/${n}`)];
  expect(files).toEqual(expect.arrayContaining(['vendor/aedes.js', 'vendor/aws-sdk.js', 'vendor/mqtt.js', 'vendor/node-forge.js']));
  for (const file of files) {
    const text = readFileSync(join(ASSETS, file), 'utf8');
    // minified: few, long lines
    expect(text.length / text.split('\n').length).toBeGreaterThan(500);
  }
});

test('GIVEN the README WHEN it quotes the program\'s size THEN the built program is that size (within 15%: other changes move it)', () => {
  // GIVEN
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const m = /a minified program \((\d+) KB today, `assets\/cli\/index\.js`/.exec(readme);
  expect(m).not.toBeNull();
  // WHEN
  const kb = statSync(PROGRAM).size / 1024;
  // THEN
  expect(Math.abs(kb - Number(m![1])) / kb).toBeLessThan(0.15);
});
