/**
 * `cdk-iot-pipeline parser test` end to end: the example app's synthesized parsers, a JavaScript file and a Python
 * folder, run through the runner's Firehose stream and Lambda runtimes (worker threads, a python3 process).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { ParserTestReport } from '../../../cli/parser/run';
import { exampleAssembly, REPO } from '../../local/helpers';
import { cli } from '../support';

jest.setTimeout(120000);

const SAMPLES = join(REPO, 'test', 'fixtures', 'parser-samples', 'customer-a.jsonl');

describe('parser test', () => {
  let dir: string;
  let app: string;

  beforeAll(() => {
    app = exampleAssembly();
    dir = mkdtempSync(join(tmpdir(), 'parser-test-e2e-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('GIVEN the example app\'s customer A pipeline WHEN its samples run THEN the bad sample fails with the parser\'s reason and the good ones show their CSV rows', async () => {
    // WHEN
    const { code, out, err } = await cli('parser', 'test', '--app', app, '--pipeline', 'CustomerA', '--input', SAMPLES);
    // THEN
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('parser TwoCustomersExample/CustomerA (nodejs22.x)');
    expect(out).toMatch(/line 1 +1 +Ok +telemetry,21\.5,40,\d{4}-/);
    expect(out).toMatch(/line 2 +1 +Failed +temperature is missing or not a number/);
    expect(out).toMatch(/line 5 +1 +Failed +\S/);
    expect(out).toContain('4 record(s) in 1 batch(es), 1 invocation(s): 2 Ok, 0 Dropped, 2 Failed');
  });

  test('GIVEN --json and --expect-ok WHEN a sample fails THEN the report lists every record and the exit code is 1', async () => {
    const { code, out } = await cli('parser', 'test', '--app', app, '--pipeline', 'TwoCustomersExample/CustomerA', '--input', SAMPLES, '--json', '--expect-ok');
    expect(code).toBe(1);
    const report = JSON.parse(out) as ParserTestReport;
    expect(report.records.map((r) => [r.line, r.result])).toEqual([[1, 'Ok'], [2, 'Failed'], [4, 'Ok'], [5, 'Failed']]);
    expect(report.records[0].output).toMatch(/^telemetry,21\.5,40,\d{4}-\d{2}-\d{2}T[^\n]*\n$/);
    expect(report.records[1].reason).toBe('temperature is missing or not a number');
    // Record ids are the runner's: <batch, 12 digits><index, 8 digits>
    expect(report.records.map((r) => r.recordId)).toEqual(['00000000000100000000', '00000000000100000001', '00000000000100000002', '00000000000100000003']);
  });

  test('GIVEN device payloads and --topic WHEN they run THEN the pipeline\'s rule builds the records first, and a payload it cannot forward is Skipped with why', async () => {
    // WHEN
    const payloads = join(REPO, 'test', 'fixtures', 'parser-samples', 'customer-a-payloads.jsonl');
    const { code, out } = await cli('parser', 'test', '--app', app, '--pipeline', 'CustomerA', '--topic', 'customer-a/telemetry/pump-1', '--input', payloads, '--json');
    // THEN the rule added the topic (the parser's device column is the level after the base topic)
    expect(code).toBe(0);
    const report = JSON.parse(out) as ParserTestReport;
    expect(report.records.map((r) => [r.line, r.result])).toEqual([[1, 'Ok'], [2, 'Failed'], [3, 'Skipped']]);
    expect(report.records[0].output).toMatch(/^telemetry,21\.5,40,/);
    expect(report.records[1].reason).toBe('temperature is missing or not a number');
    expect(report.records[2].reason).toMatch(/is not a JSON object, and the rule's SELECT adds fields to \*.*PayloadFormat\.binary\(\)/);
    expect(report.summary).toEqual({ records: 2, ok: 1, dropped: 0, failed: 1, skipped: 1 });
  });

  test('GIVEN --topic that the pipeline\'s rule does not read WHEN run THEN the error names the rule\'s filter', async () => {
    const { code, err } = await cli('parser', 'test', '--app', app, '--pipeline', 'CustomerA', '--topic', 'customer-a/telemetry', '--input', SAMPLES);
    expect(code).toBe(2);
    expect(err).toContain('--topic customer-a/telemetry is not a topic the pipeline\'s rule reads (FROM \'customer-a/telemetry/+\')');
  });

  test('GIVEN an assembly with several parsers WHEN no --pipeline is given THEN the error names them', async () => {
    const { code, err } = await cli('parser', 'test', '--app', app, '--input', SAMPLES);
    expect(code).toBe(2);
    expect(err).toContain('choose one with --pipeline');
    expect(err).toContain('TwoCustomersExample/CustomerB');
  });

  test('GIVEN the example\'s Python parser folder WHEN the samples run THEN python3 runs it and its failures carry its reasons', async () => {
    const { code, out } = await cli('parser', 'test', join(REPO, 'examples', 'app', 'parsers', 'customer_b'), '--input', SAMPLES, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(out) as ParserTestReport;
    expect(report.runtime).toMatch(/^python/);
    expect(report.summary).toEqual({ records: 4, ok: 2, dropped: 0, failed: 2, skipped: 0 });
    expect(JSON.parse(report.records[0].output!)).toMatchObject({ temperature: 21.5 });
    expect(report.records[1].reason).toMatch(/temperature/);
  });

  test('GIVEN a JavaScript parser and a small processor buffer WHEN large messages run THEN they are batched by size and a rejected response fails its whole batch', async () => {
    // GIVEN a parser that drops "drop" messages and leaves out the record of "omit" messages (an invalid response)
    const parser = join(dir, 'parser.js');
    writeFileSync(parser, `exports.handler = async (event) => ({ records: event.records.flatMap((r) => {
      const text = Buffer.from(r.data, 'base64').toString('utf8');
      if (text.includes('omit')) return [];
      if (text.includes('drop')) return [{ recordId: r.recordId, result: 'Dropped', data: '' }];
      return [{ recordId: r.recordId, result: 'Ok', data: Buffer.from(text.length + '\\n').toString('base64') }];
    }) });`);
    const big = 'x'.repeat(110_000);
    const input = join(dir, 'big.txt');
    writeFileSync(input, [`${big} keep`, `${big} drop`, `${big} omit`, 'small keep'].join('\n'));
    // WHEN Firehose's smallest processor buffer (0.2 MiB) batches them
    const { code, out } = await cli('parser', 'test', parser, '--input', input, '--buffer-size', '0.2', '--json');
    // THEN the first two fill a batch; the next batch fails as a whole (a record id is missing), after Firehose's retries
    expect(code).toBe(0);
    const report = JSON.parse(out) as ParserTestReport;
    expect(report.records.map((r) => [r.batch, r.result])).toEqual([[1, 'Ok'], [1, 'Dropped'], [2, 'Failed'], [2, 'Failed']]);
    expect(report.records[0].output).toBe(`${big.length + 5 + 1}\n`);
    expect(report.records[2].reason).toMatch(/Lambda\.MissingRecordId/);
    expect(report.invocations).toBe(1 + 4);
  });

  test('GIVEN a raw Firehose event WHEN run with --events THEN its own record ids are answered', async () => {
    const parser = join(dir, 'echo.js');
    writeFileSync(parser, 'exports.handler = async (e) => ({ records: e.records.map((r) => ({ recordId: r.recordId, result: "Ok", data: r.data })) });');
    const input = join(dir, 'event.json');
    writeFileSync(input, JSON.stringify({ records: [{ recordId: 'a1', data: Buffer.from('hello\n').toString('base64') }] }));
    const { code, out } = await cli('parser', 'test', parser, '--input', input, '--events', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(out) as ParserTestReport;
    expect(report.records).toEqual([{ event: 1, batch: 1, recordId: 'a1', result: 'Ok', output: 'hello\n' }]);
  });
});
