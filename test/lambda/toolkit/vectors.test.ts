/**
 * The contract vectors (test/fixtures/contract-vectors/*.json) against the TypeScript toolkit. The Python toolkit
 * runs the same files (lambda/toolkit-python/tests/test_vectors.py); the three test parsers the vectors name are
 * defined identically in both (see test/fixtures/contract-vectors/README.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  createParser,
  FirehoseTransformationEvent,
  JsonObject,
  MAX_RESPONSE_BYTES,
  ParseError,
  ParserOptions,
} from '../../../lambda/toolkit';
import { METRICS_NAMESPACE, TOOLKIT_DEFAULT_SERVICE_NAME } from '../../../src/contract/parser';
import { PARTITION_KEY_VALUE_MAX_LENGTH, PARTITION_KEY_VALUE_PATTERN } from '../../../src/contract/partition-keys';
import { BINARY_ENVELOPE } from '../../../src/contract/payload';
import { assertValidResponse, capturingLogger, capturingMetrics } from '../fixtures/contract';

const DIR = path.join(__dirname, '..', '..', 'fixtures', 'contract-vectors');

interface VectorParser {
  readonly name: 'fields' | 'text' | 'meta' | 'binary' | 'binary-text';
  readonly splitLines?: boolean;
  readonly partitionKeys?: boolean;
  readonly maxResponseBytes?: number;
}

interface Vector {
  readonly description: string;
  readonly parser: VectorParser;
  readonly event: FirehoseTransformationEvent;
  readonly expected: { readonly throws?: boolean; readonly response?: unknown; readonly metrics?: Record<string, number> };
}

/** The vectors' `fields` parser: directives in the message decide the outcome (README.md next to the vectors). */
function fields(message: { jsonObject(): JsonObject }): unknown {
  const o = message.jsonObject();
  if (typeof o.fail === 'string') throw new ParseError(o.fail);
  if (o.crash === true) throw new TypeError('crash requested by the vector');
  if (o.drop === true) return null;
  if (Array.isArray(o.rows)) return o.rows;
  return o;
}

function optionsFor(parser: VectorParser): ParserOptions<unknown> {
  const base = { splitLines: parser.splitLines, maxResponseBytes: parser.maxResponseBytes };
  switch (parser.name) {
    case 'fields':
      return {
        ...base,
        parse: m => fields(m),
        partitionKeys: parser.partitionKeys ? (row) => (row as JsonObject).keys as never : undefined,
      };
    case 'text':
      return { ...base, parse: m => m.text };
    case 'meta':
      return {
        ...base,
        parse: (m, invocation) => ({
          index: m.index,
          recordId: m.recordId,
          arrival: m.approximateArrivalTimestamp,
          invocationId: invocation.invocationId,
          region: invocation.region,
          text: m.text,
        }),
      };
    case 'binary':
      return {
        ...base,
        parse: (m) => {
          const p = m.binaryPayload();
          return { topic: p.topic, clientId: p.clientId, timestamp: p.timestamp, hex: Buffer.from(p.bytes).toString('hex') };
        },
      };
    case 'binary-text':
      return { ...base, parse: m => m.binaryPayload().text() || null };
    default:
      throw new Error(`unknown vector parser ${JSON.stringify(parser)}`);
  }
}

const vectors: Array<[string, Vector]> = fs.readdirSync(DIR)
  .filter(f => f.endsWith('.json'))
  .sort()
  .map(f => [f.replace(/\.json$/, ''), JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')) as Vector]);

describe('contract vectors (shared with the Python toolkit)', () => {
  test('GIVEN the vectors folder THEN it holds the vectors of every part of the contract', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(20);
    expect(vectors.filter(([, v]) => v.expected.throws).length).toBeGreaterThanOrEqual(3);
  });

  test.each(vectors)('%s', async (_name, vector) => {
    // GIVEN the vector's parser
    const metrics = capturingMetrics();
    const handler = createParser<unknown>({ ...optionsFor(vector.parser), logger: capturingLogger(), metrics });
    if (vector.expected.throws) {
      // WHEN the event must be refused THEN the handler throws (Firehose retries the batch)
      await expect(handler(vector.event)).rejects.toThrow();
      return;
    }
    // WHEN
    const response = await handler(vector.event);
    // THEN the response is exactly the expected one, valid, and counted as expected
    expect(response).toEqual(vector.expected.response);
    assertValidResponse(vector.event, response, vector.parser.maxResponseBytes ?? MAX_RESPONSE_BYTES);
    expect(metrics.published).toHaveLength(1);
    expect(metrics.published[0]).toEqual(expect.objectContaining(vector.expected.metrics));
  });
});

describe('the Python toolkit\'s copy of the contract', () => {
  const contract = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'lambda', 'toolkit-python', 'cdk_iot_parser_toolkit', '_contract.py'), 'utf8');
  const value = (name: string): string => {
    const match = new RegExp(`^${name} = (.+)$`, 'm').exec(contract);
    if (!match) throw new Error(`${name} is not defined in _contract.py`);
    return match[1];
  };

  test('GIVEN _contract.py THEN its limits and names equal src/contract', () => {
    expect(Number(value('MAX_RESPONSE_BYTES').replace(/_/g, ''))).toBe(MAX_RESPONSE_BYTES);
    expect(value('METRICS_NAMESPACE')).toBe(JSON.stringify(METRICS_NAMESPACE));
    expect(value('DEFAULT_SERVICE_NAME')).toBe(JSON.stringify(TOOLKIT_DEFAULT_SERVICE_NAME));
    expect(Number(value('PARTITION_KEY_VALUE_MAX_LENGTH'))).toBe(PARTITION_KEY_VALUE_MAX_LENGTH);
    expect(value('ENVELOPE_PAYLOAD')).toBe(JSON.stringify(BINARY_ENVELOPE.payload));
    expect(value('ENVELOPE_TOPIC')).toBe(JSON.stringify(BINARY_ENVELOPE.topic));
    expect(value('ENVELOPE_CLIENT_ID')).toBe(JSON.stringify(BINARY_ENVELOPE.clientId));
    expect(value('ENVELOPE_TIMESTAMP')).toBe(JSON.stringify(BINARY_ENVELOPE.timestamp));
    expect(value('_PARTITION_KEY_VALUE_PATTERN')).toBe(`re.compile(r"${PARTITION_KEY_VALUE_PATTERN.source.replace(/^\^|\$$/g, '')}")`);
  });
});
