/**
 * Two stacks with the same construct paths (the example app's IotTelemetryExample and QueryableParquetExample both
 * hold `Pipeline`): their unnamed resources share logical ids, where CloudFormation would name each uniquely. The
 * runner keeps them apart (the later stack's are `<stack>-<logical id>`), and the query engine finds the same folders.
 */
import { join } from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { loadModel } from '../../../local/assembly/model';
import { loadTableModels } from '../../../local/query';
import { ColumnType, IotCoreFirehosePipeline, ParsedFormat, Parser } from '../../../src';
import { cleanup, tempDir } from '../helpers';

jest.setTimeout(60000);

let dir: string;
let app: string;

beforeAll(() => {
  dir = tempDir('stack-names');
  const cdkApp = new App({ outdir: join(dir, 'cdk.out') });
  for (const [name, topic, database] of [['First', 'first', 'first_db'], ['Second', 'second', 'second_db']]) {
    new IotCoreFirehosePipeline(new Stack(cdkApp, name), 'Pipeline', {
      topic,
      parser: Parser.reference({ format: ParsedFormat.jsonLines() }),
      table: { databaseName: database, tableName: 'telemetry', columns: [{ name: 'temp', type: ColumnType.DOUBLE }] },
    });
  }
  app = cdkApp.synth().directory;
});

afterAll(() => cleanup(dir));

test('GIVEN two stacks with the same construct paths THEN each keeps its own stream, bucket folders and device policy', () => {
  // WHEN
  const model = loadModel({ app });
  // THEN
  const streams = [...model.streams.values()];
  expect(streams.map((s) => s.stack)).toEqual(['First', 'Second']);
  expect(streams[1].name).toBe(`Second-${streams[0].name}`);
  expect(streams[1].destination.bucket.folder).toBe(`Second-${streams[0].destination.bucket.folder}`);
  for (const thing of model.things.values()) {
    const [policy] = model.thingPolicies.get(thing.name)!;
    expect(model.policies.get(policy)!.path).toMatch(new RegExp(`^${thing.stack}/`));
  }
  // (each stack also has its rejected-messages rule, whose action writes to S3)
  const firehoseTargets = model.rules.flatMap((r) => r.actions).flatMap((a) => (a.kind === 'firehose' ? [a.streamName] : []));
  expect(firehoseTargets).toEqual(streams.map((s) => s.name));
});

test('GIVEN the same stacks THEN each table reads the bucket folder the runner writes to', () => {
  // WHEN
  const model = loadModel({ app });
  const tables = loadTableModels({ app });
  // THEN
  const folders = [...model.streams.values()].map((s) => s.destination.bucket.folder);
  expect([tables.get('first_db.telemetry')!.bucket.folder, tables.get('second_db.telemetry')!.bucket.folder]).toEqual(folders);
});
