/**
 * The local Lambda runtimes (Node worker, Python shim): answers, handler errors and Lambda's timeout.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { FunctionModel } from '../../../local/assembly/model';
import { createInvoker, InvocationError } from '../../../local/lambda/runtime';

jest.setTimeout(60000);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cdk-iot-local-runtime-'));
  writeFileSync(join(dir, 'index.js'), `
    exports.handler = async (event) => {
      if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
      if (event.fail) throw new TypeError('bad input');
      return { echo: event.value };
    };`);
  writeFileSync(join(dir, 'index.py'), [
    'import time',
    'def handler(event, context):',
    '    time.sleep(event.get("sleepMs", 0) / 1000)',
    '    if event.get("fail"):',
    '        raise ValueError("bad input")',
    '    return {"echo": event.get("value")}',
    '',
  ].join('\n'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function model(runtime: string): FunctionModel {
  return {
    arn: 'arn:aws:lambda:us-east-1:000000000000:function:parser',
    name: 'parser',
    stack: 'S',
    logicalId: 'Parser',
    path: 'S/Parser',
    runtime,
    handler: 'index.handler',
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
});
