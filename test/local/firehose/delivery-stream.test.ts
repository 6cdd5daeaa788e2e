import { gunzipSync } from 'zlib';
import type { BucketRef, StreamModel } from '../../../local/assembly/model';
import { LocalDeliveryStream, validateResponse } from '../../../local/firehose/delivery-stream';
import { compileStreamPrefix as compilePrefix } from '../../../local/firehose/keys';
import { InvocationError, Invoker } from '../../../local/lambda/runtime';
import type { ObjectSink } from '../../../local/s3/sinks';
import { RESPONSE_LIMIT_BYTES } from '../../../src/contract';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:parser';
const bucket = (folder: string): BucketRef => ({ name: folder, folder, endpointName: folder.toLowerCase() });

class MemorySink implements ObjectSink {
  public readonly objects = new Map<string, Buffer>();
  public failures = 0;
  public describe(b: BucketRef, key: string): string {
    return `${b.folder}/${key}`;
  }
  public async prepare(): Promise<void> {}
  public async put(b: BucketRef, key: string, body: Buffer): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('disk full (simulated)');
    }
    this.objects.set(`${b.folder}/${key}`, body);
  }
  public lines(prefix: string): Array<Record<string, unknown>> {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(prefix))
      .flatMap(([, body]) => gunzipSync(body).toString().split('\n').filter((l) => l).map((l) => JSON.parse(l)));
  }
}

type Handler = (event: any) => unknown;

class FakeInvoker implements Invoker {
  public calls = 0;
  constructor(private readonly handler: Handler) {}
  public async invoke(event: unknown): Promise<unknown> {
    this.calls++;
    return this.handler(event);
  }
  public async close(): Promise<void> {}
}

function stream(overrides: Partial<StreamModel> = {}, processor = true): StreamModel {
  const hints = { intervalMs: 3600000, sizeBytes: 1024 * 1024 };
  return {
    name: 'S',
    arn: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/S',
    stack: 'T',
    logicalId: 'S',
    path: 'T/S',
    region: 'us-east-1',
    dynamicPartitioning: false,
    destination: {
      bucket: bucket('Parsed'),
      prefix: compilePrefix('parsed/'),
      errorPrefix: compilePrefix('errors/!{firehose:error-output-type}/'),
      buffering: hints,
      compression: 'GZIP',
      extension: '.json.gz',
    },
    backup: { bucket: bucket('Raw'), prefix: compilePrefix('raw/'), errorPrefix: compilePrefix('raw-errors/'), buffering: hints, compression: 'GZIP', extension: '.gz' },
    processor: processor ? { functionArn: ARN, lambdaArn: `${ARN}:$LATEST`, bufferSizeBytes: 1024 * 1024, bufferIntervalMs: 3600000, retries: 2 } : undefined,
    ...overrides,
  };
}

const ok = (event: any) => ({
  records: event.records.map((r: any) => ({ recordId: r.recordId, result: 'Ok', data: Buffer.from(`parsed:${Buffer.from(r.data, 'base64')}`).toString('base64') })),
});

/** Puts the records; returns a mock called once per record whose every object is durable. */
function put(s: LocalDeliveryStream, texts: string[]): jest.Mock {
  const delivered = jest.fn();
  texts.forEach((t, i) => void s.put({ data: Buffer.from(`${t}\n`), arrival: Date.UTC(2026, 0, 2, 3, 4, 5) + i }).then(() => delivered(t)));
  return delivered;
}

describe('processor response validation', () => {
  const ids = ['a', 'b'];
  test.each<[string, unknown, string | undefined]>([
    // [case, response, expected error code (undefined = valid)]
    ['a valid response', { records: [{ recordId: 'a', result: 'Ok', data: 'eA==' }, { recordId: 'b', result: 'Dropped' }] }, undefined],
    ['no records array', { recordz: [] }, 'Lambda.JsonProcessingException'],
    ['a missing record id', { records: [{ recordId: 'a', result: 'Ok', data: 'eA==' }] }, 'Lambda.MissingRecordId'],
    ['an unknown record id', { records: [{ recordId: 'zz', result: 'Ok', data: 'eA==' }] }, 'Lambda.MissingRecordId'],
    ['a duplicated record id', { records: [{ recordId: 'a', result: 'Dropped' }, { recordId: 'a', result: 'Dropped' }, { recordId: 'b', result: 'Dropped' }] }, 'Lambda.DuplicatedRecordId'],
    ['an unknown result', { records: [{ recordId: 'a', result: 'Fine', data: '' }, { recordId: 'b', result: 'Dropped' }] }, 'Lambda.JsonProcessingException'],
    ['Ok data that is not base64', { records: [{ recordId: 'a', result: 'Ok', data: 'not base64!' }, { recordId: 'b', result: 'Dropped' }] }, 'Lambda.JsonProcessingException'],
    // the URL-safe alphabet: Node decodes it, the parser toolkit (and Firehose) do not
    ['Ok data in URL-safe base64 (-)', { records: [{ recordId: 'a', result: 'Ok', data: 'a-8=' }, { recordId: 'b', result: 'Dropped' }] }, 'Lambda.JsonProcessingException'],
    ['Ok data in URL-safe base64 (_)', { records: [{ recordId: 'a', result: 'Ok', data: 'a_8=' }, { recordId: 'b', result: 'Dropped' }] }, 'Lambda.JsonProcessingException'],
    ['Ok data without padding', { records: [{ recordId: 'a', result: 'Ok', data: 'eA' }, { recordId: 'b', result: 'Dropped' }] }, 'Lambda.JsonProcessingException'],
    ['a response over the 6,000,000-byte limit', { records: [{ recordId: 'a', result: 'Ok', data: 'eHh4'.repeat(1_500_001) }, { recordId: 'b', result: 'Dropped' }] }, 'Lambda.FunctionError'],
    ['partition keys that are not strings', { records: [{ recordId: 'a', result: 'Ok', data: '', metadata: { partitionKeys: { d: 1 } } }, { recordId: 'b', result: 'Dropped' }] }, 'Lambda.JsonProcessingException'],
    ['null', null, 'Lambda.JsonProcessingException'],
  ])('GIVEN %s WHEN validated THEN the error code is the expected one', (_name, response, code) => {
    const result = validateResponse(ids, response);
    if (code === undefined) expect('results' in result).toBe(true);
    else expect(result).toEqual({ problem: { errorCode: code, errorMessage: expect.any(String) } });
  });
});

describe('the response size check', () => {
  /** A valid response whose JSON is exactly `bytes` long (tuned with a top-level field, which counts too). */
  function responseOf(bytes: number): object {
    const response = { records: [{ recordId: 'a', result: 'Ok', data: 'eHh4'.repeat(1_000_000), metadata: { partitionKeys: { d: 'ü' } } }, undefined, { recordId: 'b', result: 'Dropped' }], note: '' };
    response.note = 'y'.repeat(bytes - Buffer.byteLength(JSON.stringify(response)));
    expect(Buffer.byteLength(JSON.stringify(response))).toBe(bytes);
    return response;
  }

  test.each<[number, boolean]>([[RESPONSE_LIMIT_BYTES, true], [RESPONSE_LIMIT_BYTES + 1, false]])(
    'GIVEN a response of %i bytes as JSON WHEN validated THEN within the limit: %s', (bytes, within) => {
      const result = validateResponse(['a', 'b'], responseOf(bytes));
      // within the limit the next check speaks (the undefined record); beyond it, Lambda's size error
      expect(result).toEqual({
        problem: within
          ? { errorCode: 'Lambda.JsonProcessingException', errorMessage: 'Response record 1 is not an object.' }
          : { errorCode: 'Lambda.FunctionError', errorMessage: expect.stringContaining(`the response is ${bytes} bytes`) },
      });
    });
});

describe('a local delivery stream', () => {
  test('GIVEN records WHEN drained THEN raw backup of all source records and parsed destination objects, gzipped, with Firehose keys', async () => {
    const sink = new MemorySink();
    const invoker = new FakeInvoker(ok);
    const s = new LocalDeliveryStream(stream(), { sink, invoker, log: () => undefined });
    put(s, ['a', 'b', 'c']);
    await s.drain();
    const keys = [...sink.objects.keys()];
    expect(keys).toEqual(expect.arrayContaining([
      expect.stringMatching(/^Parsed\/parsed\/2026\/01\/02\/03\/S-1-2026-01-02-03-04-05-[0-9a-f-]{36}\.json\.gz$/),
      expect.stringMatching(/^Raw\/raw\/2026\/01\/02\/03\/S-1-2026-01-02-03-04-05-[0-9a-f-]{36}\.gz$/),
    ]));
    const parsed = [...sink.objects.entries()].find(([k]) => k.startsWith('Parsed'))![1];
    expect(gunzipSync(parsed).toString()).toBe('parsed:a\nparsed:b\nparsed:c\n');
    const raw = [...sink.objects.entries()].find(([k]) => k.startsWith('Raw'))![1];
    expect(gunzipSync(raw).toString()).toBe('a\nb\nc\n');
    expect(invoker.calls).toBe(1);
  });

  test('GIVEN the processor event WHEN invoked THEN it has the Firehose contract fields', async () => {
    let event: any;
    const invoker = new FakeInvoker((e) => {
      event = e;
      return ok(e);
    });
    const s = new LocalDeliveryStream(stream(), { sink: new MemorySink(), invoker, log: () => undefined });
    put(s, ['x']);
    await s.drain();
    expect(event).toEqual({
      invocationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      deliveryStreamArn: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/S',
      region: 'us-east-1',
      records: [{ recordId: expect.any(String), approximateArrivalTimestamp: Date.UTC(2026, 0, 2, 3, 4, 5), data: Buffer.from('x\n').toString('base64') }],
    });
  });

  test('GIVEN a buffer size WHEN it is reached THEN the batch goes to the processor without waiting for the interval', async () => {
    const invoker = new FakeInvoker(ok);
    const s = new LocalDeliveryStream(stream({
      processor: { functionArn: ARN, lambdaArn: ARN, bufferSizeBytes: 10, bufferIntervalMs: 3600000, retries: 0 },
    }), { sink: new MemorySink(), invoker, log: () => undefined });
    put(s, ['0123456789']);
    await new Promise((r) => setImmediate(r));
    expect(invoker.calls).toBe(1);
    await s.drain();
  });

  test('GIVEN a processor that throws twice WHEN retries are 2 THEN the third attempt delivers', async () => {
    const sink = new MemorySink();
    let n = 0;
    const invoker = new FakeInvoker((e) => {
      if (++n <= 2) throw new InvocationError('boom', 'Error');
      return ok(e);
    });
    const s = new LocalDeliveryStream(stream(), { sink, invoker, log: () => undefined });
    put(s, ['a']);
    await s.drain();
    expect(invoker.calls).toBe(3);
    expect(s.stats).toMatchObject({ invocations: 3, invocationErrors: 2, recordsOk: 1, recordsFailed: 0 });
  });

  test('GIVEN retries exhausted WHEN drained THEN every record is a processing-failed object with AWS\'s fields', async () => {
    const sink = new MemorySink();
    const s = new LocalDeliveryStream(stream(), { sink, invoker: new FakeInvoker(() => ({ records: [] })), log: () => undefined });
    put(s, ['a', 'b']);
    await s.drain();
    const failed = sink.lines('Parsed/errors/processing-failed/');
    expect(failed).toHaveLength(2);
    expect(failed[0]).toEqual({
      attemptsMade: 3,
      arrivalTimestamp: Date.UTC(2026, 0, 2, 3, 4, 5),
      errorCode: 'Lambda.MissingRecordId',
      errorMessage: expect.stringContaining('missing from the Lambda response'),
      attemptEndingTimestamp: expect.any(Number),
      rawData: Buffer.from('a\n').toString('base64'),
      lambdaArn: `${ARN}:$LATEST`,
    });
    expect([...sink.objects.keys()].find((k) => k.startsWith('Parsed/errors/'))).toMatch(/^Parsed\/errors\/processing-failed\/2026\/01\/02\/03\/S-1-.*\.gz$/);
  });

  test('GIVEN Ok, Dropped and ProcessingFailed results WHEN routed THEN destination, nothing, and the error prefix; each put resolves once durable', async () => {
    const sink = new MemorySink();
    const invoker = new FakeInvoker((event: any) => ({
      records: event.records.map((r: any, i: number) => ({ recordId: r.recordId, result: ['Ok', 'Dropped', 'ProcessingFailed'][i], data: i === 0 ? r.data : '' })),
    }));
    const s = new LocalDeliveryStream(stream(), { sink, invoker, log: () => undefined });
    const delivered = put(s, ['keep', 'drop', 'fail']);
    await Promise.resolve();
    expect(delivered).not.toHaveBeenCalled();
    await s.drain();
    // the backup and the destination object (keep), the backup alone (drop), the backup and the error object (fail)
    expect(delivered.mock.calls.map(([t]) => t).sort()).toEqual(['drop', 'fail', 'keep']);
    expect(sink.objects.size).toBe(3);
    expect([...sink.objects.entries()].filter(([k]) => k.startsWith('Parsed/parsed/')).map(([, b]) => gunzipSync(b).toString())).toEqual(['keep\n']);
    const failed = sink.lines('Parsed/errors/processing-failed/');
    expect(failed).toEqual([expect.objectContaining({ errorCode: 'Lambda.ProcessingFailedStatus', attemptsMade: 1, rawData: Buffer.from('fail\n').toString('base64') })]);
    expect(s.stats).toMatchObject({ recordsOk: 1, recordsDropped: 1, recordsFailed: 1 });
  });

  test('GIVEN partition keys from the processor WHEN delivered THEN one object per partition under !{partitionKeyFromLambda:...}', async () => {
    const sink = new MemorySink();
    const invoker = new FakeInvoker((event: any) => ({
      records: event.records.map((r: any) => {
        const text = Buffer.from(r.data, 'base64').toString().trim();
        return { recordId: r.recordId, result: 'Ok', data: r.data, metadata: { partitionKeys: { device: text.split(':')[0] } } };
      }),
    }));
    const s = new LocalDeliveryStream(stream({
      dynamicPartitioning: true,
      destination: { ...stream().destination, prefix: compilePrefix('parsed/device=!{partitionKeyFromLambda:device}/', { dynamicPartitioning: true }) },
    }), { sink, invoker, log: () => undefined });
    put(s, ['d1:a', 'd2:b', 'd1:c']);
    await s.drain();
    const parsed = [...sink.objects.entries()].filter(([k]) => k.startsWith('Parsed/parsed/'));
    expect(parsed.map(([k]) => k.split('/')[2]).sort()).toEqual(['device=d1', 'device=d2']);
    expect(gunzipSync(parsed.find(([k]) => k.includes('device=d1'))![1]).toString()).toBe('d1:a\nd1:c\n');
  });

  test('GIVEN dynamic partitioning and a record without its partition key WHEN delivered THEN it goes to the error prefix as partitionKeyMissing', async () => {
    const sink = new MemorySink();
    const invoker = new FakeInvoker((event: any) => ({
      records: event.records.map((r: any) => ({ recordId: r.recordId, result: 'Ok', data: r.data, metadata: { partitionKeys: {} } })),
    }));
    const s = new LocalDeliveryStream(stream({
      dynamicPartitioning: true,
      destination: { ...stream().destination, prefix: compilePrefix('parsed/device=!{partitionKeyFromLambda:device}/', { dynamicPartitioning: true }) },
    }), { sink, invoker, log: () => undefined });
    const delivered = put(s, ['a']);
    await s.drain();
    expect(delivered).toHaveBeenCalledTimes(1); // its error object (and the backup) are durable
    expect([...sink.objects.keys()].filter((k) => k.startsWith('Parsed/'))).toEqual([expect.stringMatching(/^Parsed\/errors\/partitionKeyMissing\/2026\/01\/02\/03\/S-1-/)]);
    expect(sink.lines('Parsed/errors/partitionKeyMissing/')).toEqual([expect.objectContaining({ errorCode: 'DynamicPartitioning.MissingPartitionKey', rawData: Buffer.from('a\n').toString('base64') })]);
  });

  test('GIVEN an S3 write that fails WHEN retried THEN the object lands and the put resolves only after it did', async () => {
    const sink = new MemorySink();
    sink.failures = 1;
    const logs: string[] = [];
    const s = new LocalDeliveryStream(stream({ backup: undefined }, false), { sink, log: (l) => logs.push(l) });
    const delivered = put(s, ['a']);
    await s.drain();
    expect(s.stats.writeRetries).toBe(1);
    expect(logs.join('\n')).toMatch(/failed \(disk full \(simulated\)\); retrying/);
    expect(delivered).toHaveBeenCalledTimes(1);
    expect(sink.objects.size).toBe(1);
  });

  test('GIVEN a stop before the buffers are written WHEN abandoned THEN the put never resolves (the journal keeps the message)', async () => {
    const sink = new MemorySink();
    const s = new LocalDeliveryStream(stream({ backup: undefined }, false), { sink, log: () => undefined });
    const delivered = put(s, ['a']);
    s.stop();
    await s.drain();
    expect(sink.objects.size).toBe(0);
    expect(delivered).not.toHaveBeenCalled();
  });

  test('GIVEN a record over 1,000 KiB WHEN put THEN it is refused like Firehose does', () => {
    const s = new LocalDeliveryStream(stream(), { sink: new MemorySink(), invoker: new FakeInvoker(ok), log: () => undefined });
    expect(() => s.put({ data: Buffer.alloc(1000 * 1024 + 1), arrival: 0 })).toThrow(/1,000 KiB/);
  });
});
