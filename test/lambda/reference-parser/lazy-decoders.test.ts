/**
 * Each decoder's library is loaded only when that decoder is configured: a JSON pipeline's parser never loads cbor-x
 * or @bufbuild/protobuf, a CBOR one never loads @bufbuild/protobuf. Proved by replacing the libraries with modules
 * that throw when loaded.
 */
import type { Environment } from '../../../lambda/reference-parser';

type ReferenceModule = typeof import('../../../lambda/reference-parser');

const LIBRARIES = ['cbor-x/decode-no-eval', '@bufbuild/protobuf', '@bufbuild/protobuf/wkt'];

/** Builds a handler for `env` in a fresh module registry where requiring `poisoned` libraries throws. */
function build(env: Environment, poisoned: readonly string[]): void {
  jest.isolateModules(() => {
    for (const name of LIBRARIES) {
      if (poisoned.includes(name)) jest.doMock(name, () => { throw new Error(`${name} was loaded`); });
      else jest.dontMock(name);
    }
    const mod = jest.requireActual<ReferenceModule>('../../../lambda/reference-parser');
    mod.createReferenceHandler(env, { logger: { info() {}, warn() {}, error() {} }, metrics: { addMetric() {}, publishStoredMetrics() {} } });
  });
}

const PROTOBUF = ['@bufbuild/protobuf', '@bufbuild/protobuf/wkt'];
const binary = (decoder: object): Environment => ({ PARSER_PAYLOAD: 'binary', PARSER_DECODER: JSON.stringify(decoder) });

afterEach(() => jest.resetModules());

test('GIVEN the poisoned libraries WHEN a CBOR parser is built THEN loading cbor-x throws (the poison works)', () => {
  expect(() => build(binary({ kind: 'cbor' }), LIBRARIES)).toThrow('cbor-x/decode-no-eval was loaded');
});

test.each([
  ['a JSON pipeline', {}, LIBRARIES],
  ['a binary pipeline without a decoder', { PARSER_PAYLOAD: 'binary' }, LIBRARIES],
  ['a pipeline decoded in the rule', { PARSER_PAYLOAD: 'protobuf' }, LIBRARIES],
  ['a CBOR pipeline', binary({ kind: 'cbor' }), PROTOBUF],
  ['a delimited pipeline', binary({ kind: 'delimited' }), LIBRARIES],
  ['a csv pipeline', binary({ kind: 'csv', columns: ['a'] }), LIBRARIES],
])('GIVEN %s WHEN its parser is built THEN no other decoder\'s library is loaded', (_name, env, poisoned) => {
  expect(() => build(env as Environment, poisoned)).not.toThrow();
});
