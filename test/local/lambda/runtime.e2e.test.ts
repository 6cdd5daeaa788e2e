/**
 * The local Lambda runtimes (local/lambda/node-worker.js in a worker thread, local/lambda/python_shim.py in a
 * python3 process): answers, handler errors, the context, logs and Lambda's timeout.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { FunctionModel } from '../../../local/assembly/model';
import { createInvoker, FirehoseBatch, firehoseEvent, InvocationError } from '../../../local/lambda/runtime';

jest.setTimeout(60000);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cdk-iot-local-runtime-'));
  writeFileSync(join(dir, 'index.js'), `
    exports.handler = async (event) => {
      if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
      if (event.fail) throw new TypeError('bad input');
      return { echo: event.value };
    };
    exports.echo = async (event) => event;
    exports.withCallback = (event, context, callback) => {
      console.log('log line from node');
      callback(null, { name: context.functionName, arn: context.invokedFunctionArn, remaining: context.getRemainingTimeInMillis() > 0 });
    };`);
  writeFileSync(join(dir, 'index.py'), [
    'import time',
    'def handler(event, context):',
    '    time.sleep(event.get("sleepMs", 0) / 1000)',
    '    if event.get("fail"):',
    '        raise ValueError("bad input")',
    '    return {"echo": event.get("value")}',
    'def echo(event, context):',
    '    return event',
    'def withCallback(event, context):',
    '    print("log line from python")',
    '    return {"name": context.function_name, "arn": context.invoked_function_arn, "remaining": context.get_remaining_time_in_millis() > 0}',
    '',
  ].join('\n'));
  // Modules whose import takes longer (2 s) than the function's timeout (1.5 s): Lambda's Init phase does not count.
  writeFileSync(join(dir, 'slowinit.js'), `
    const until = Date.now() + 2000;
    while (Date.now() < until) { /* a slow module initialization */ }
    exports.handler = async (event) => ({ echo: event.value });`);
  writeFileSync(join(dir, 'slowinit.py'), ['import time', 'time.sleep(2)', 'def handler(event, context):', '    return {"echo": event.get("value")}', ''].join('\n'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function model(runtime: string, handler = 'index.handler'): FunctionModel {
  return {
    arn: 'arn:aws:lambda:us-east-1:000000000000:function:parser',
    name: 'parser',
    stack: 'S',
    logicalId: 'Parser',
    path: 'S/Parser',
    runtime,
    handler,
    codeDir: dir,
    environment: {},
    timeoutMs: 1500,
    memoryMb: 256,
    region: 'us-east-1',
  };
}

describe.each([['nodejs22.x'], ['python3.13']])('the %s runtime', (runtime) => {
  test('GIVEN a handler WHEN it answers, throws, and runs past its timeout THEN each call settles alone and the runtime recovers', async () => {
    const invoker = createInvoker(model(runtime), dir);
    try {
      // answers are matched to their calls
      await expect(Promise.all([invoker.invoke({ value: 1 }), invoker.invoke({ value: 2 })])).resolves.toEqual([{ echo: 1 }, { echo: 2 }]);
      // a handler error rejects with its type
      const failed = await invoker.invoke({ fail: true }).catch((e: InvocationError) => e) as InvocationError;
      expect(failed).toBeInstanceOf(InvocationError);
      expect(failed.errorType).toMatch(/TypeError|ValueError/);
      // a call past the timeout rejects as Sandbox.Timedout, and the next call runs in a fresh runtime
      const timedOut = await invoker.invoke({ sleepMs: 5000 }).catch((e: InvocationError) => e) as InvocationError;
      expect(timedOut).toBeInstanceOf(InvocationError);
      expect(timedOut.errorType).toEqual('Sandbox.Timedout');
      expect(timedOut.message).toEqual('Task timed out after 1.50 seconds');
      await expect(invoker.invoke({ value: 3 })).resolves.toEqual({ echo: 3 });
    } finally {
      await invoker.close();
    }
  });

  test('GIVEN a handler that prints WHEN invoked THEN the context names the function, and the print goes to its log, not into the answer', async () => {
    const logs = mkdtempSync(join(tmpdir(), 'cdk-iot-local-runtime-logs-'));
    const invoker = createInvoker(model(runtime, 'index.withCallback'), logs);
    try {
      await expect(invoker.invoke({})).resolves.toEqual({ name: 'parser', arn: 'arn:aws:lambda:us-east-1:000000000000:function:parser', remaining: true });
    } finally {
      await invoker.close();
    }
    expect(readFileSync(join(logs, 'parser.log'), 'utf8')).toContain(`log line from ${runtime.startsWith('python') ? 'python' : 'node'}`);
    rmSync(logs, { recursive: true, force: true });
  });

  test('GIVEN a Firehose batch of bytes WHEN invoked with it, twice (a retry) THEN the handler gets the event Lambda gives it: every record\'s data in base64', async () => {
    const invoker = createInvoker(model(runtime, 'index.echo'), dir);
    // Records from Buffers sharing one pooled slab (as the runner's are), an empty one and bytes that are not UTF-8.
    const texts = ['{"a":1}\n', '', 'ünïcode\n'];
    const records = [...texts.map((t) => Buffer.from(t)), Buffer.from([0, 255, 10, 128])]
      .map((data, i) => ({ recordId: `${String(i).padStart(20, '0')}`, approximateArrivalTimestamp: 1767322800000 + i, data }));
    const batch: FirehoseBatch = { invocationId: 'i-1', deliveryStreamArn: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/S', region: 'us-east-1', records };
    const expected = {
      invocationId: 'i-1',
      deliveryStreamArn: batch.deliveryStreamArn,
      region: 'us-east-1',
      records: records.map((r) => ({ recordId: r.recordId, approximateArrivalTimestamp: r.approximateArrivalTimestamp, data: r.data.toString('base64') })),
    };
    try {
      expect(firehoseEvent(batch)).toEqual(expected);
      await expect(invoker.invokeFirehose!(batch)).resolves.toEqual(expected);
      await expect(invoker.invokeFirehose!(batch)).resolves.toEqual(expected);
      // the records' buffers are the caller's still (the worker got a copy of their bytes)
      expect(records[0].data.toString()).toBe('{"a":1}\n');
    } finally {
      await invoker.close();
    }
  });

  test('GIVEN a module that initializes longer than the function\'s timeout WHEN invoked THEN it answers: only the call counts, as in Lambda', async () => {
    const invoker = createInvoker(model(runtime, 'slowinit.handler'), dir);
    try {
      await expect(invoker.invoke({ value: 'after init' })).resolves.toEqual({ echo: 'after init' });
    } finally {
      await invoker.close();
    }
  });

  test('GIVEN a handler name the module does not export WHEN invoked THEN every call fails with the load error', async () => {
    const invoker = createInvoker(model(runtime, 'index.missing'), dir);
    try {
      const failed = await invoker.invoke({}).catch((e: InvocationError) => e) as InvocationError;
      expect(failed).toBeInstanceOf(InvocationError);
      expect(failed.errorType).toEqual(runtime.startsWith('python') ? 'AttributeError' : 'Runtime.HandlerNotFound');
      await expect(invoker.invoke({})).rejects.toThrow(/missing/);
    } finally {
      await invoker.close();
    }
  });
});

test('GIVEN a runtime the local runner does not run WHEN an invoker is created THEN it says which ones it runs', () => {
  expect(() => createInvoker(model('java21'), dir)).toThrow(/runtime java21 of function parser is not run locally \(Node.js and Python are\)/);
});
