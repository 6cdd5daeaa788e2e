// @ts-check
/**
 * The Node.js Lambda runtime of the local runner: one worker thread per function (started by `runtime.ts` with
 * this file). It loads the handler from the function's asset once (`require`, or `import()` for `.mjs`) and
 * answers every invocation posted on the message port with `{ id, ok, result }` or
 * `{ id, ok: false, errorType, errorMessage }`. Plain JavaScript, not TypeScript: the worker runs as it is, both
 * from the source tree and from the CLI bundle (`assets/cli/node-worker.js`, copied there by `bundle:cli`).
 *
 * workerData: { file, esm, exportName, functionName, functionArn, memoryMb }
 * first post: { ready: true }  (the handler module is loaded, or failed to load)
 * message:    { id, event, requestId, deadline }  (deadline: epoch ms when the function times out)
 *             or { id, firehose, requestId, deadline }: a Firehose transformation event still in bytes (runtime.ts,
 *             packFirehoseBatch), which this thread turns into the event Lambda gives the handler (data in base64)
 */
'use strict';
const { parentPort, workerData } = require('worker_threads');
const { pathToFileURL } = require('url');

if (!parentPort) throw new Error('node-worker.js runs as a worker thread of the local runner');
const port = parentPort;

/** @type {Promise<Function> | undefined} */
let handlerPromise;

/** The handler function, loaded once at start (a module that fails to load fails every invocation). */
function load() {
  if (!handlerPromise) {
    handlerPromise = (async () => {
      const mod = workerData.esm ? await import(pathToFileURL(workerData.file).href) : require(workerData.file);
      const fn = mod[workerData.exportName] || (mod.default && mod.default[workerData.exportName]);
      if (typeof fn !== 'function') {
        const e = new Error(`${workerData.file} does not export a function named ${workerData.exportName}`);
        e.name = 'Runtime.HandlerNotFound';
        throw e;
      }
      return fn;
    })();
  }
  return handlerPromise;
}

/**
 * Calls the handler like Lambda does: an async handler's promise, or a callback handler (three parameters).
 * @param {Function} fn
 * @param {unknown} event
 * @param {object} context
 * @returns {Promise<unknown>}
 */
function call(fn, event, context) {
  if (fn.length < 3) return Promise.resolve(fn(event, context));
  return new Promise((resolve, reject) => {
    const r = fn(event, context, (/** @type {unknown} */ err, /** @type {unknown} */ value) => (err ? reject(err) : resolve(value)));
    if (r && typeof r.then === 'function') r.then(resolve, reject);
  });
}

// Initialize now, as Lambda's Init phase does, and say when it is over: the runtime starts the function's timeout
// for an invocation only then. A module that fails to load is reported on each invocation, as in Lambda.
load().then(() => port.postMessage({ ready: true }), () => port.postMessage({ ready: true }));

/**
 * A batch as runtime.ts packs it (packFirehoseBatch).
 * @typedef {{ invocationId: string, deliveryStreamArn: string, region: string, recordIds: string[], arrivals: Float64Array, lengths: Uint32Array, bytes: Uint8Array }} PackedBatch
 */

/**
 * The Firehose transformation event of a packed batch: each record's bytes in base64, as Lambda delivers them.
 * @param {PackedBatch} f
 */
function firehoseEvent(f) {
  const bytes = Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
  const records = new Array(f.recordIds.length);
  let offset = 0;
  for (let i = 0; i < records.length; i++) {
    const end = offset + f.lengths[i];
    records[i] = { recordId: f.recordIds[i], approximateArrivalTimestamp: f.arrivals[i], data: bytes.toString('base64', offset, end) };
    offset = end;
  }
  return { invocationId: f.invocationId, deliveryStreamArn: f.deliveryStreamArn, region: f.region, records };
}

port.on('message', async (/** @type {{ id: number, event?: unknown, firehose?: PackedBatch, requestId: string, deadline: number }} */ msg) => {
  const context = {
    awsRequestId: msg.requestId,
    functionName: workerData.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: workerData.functionArn,
    memoryLimitInMB: String(workerData.memoryMb),
    logGroupName: `/aws/lambda/${workerData.functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, msg.deadline - Date.now()),
  };
  try {
    const result = await call(await load(), msg.firehose ? firehoseEvent(msg.firehose) : msg.event, context);
    port.postMessage({ id: msg.id, ok: true, result: result === undefined ? null : result });
  } catch (e) {
    const error = /** @type {{ name?: string, message?: string } | undefined} */ (e);
    port.postMessage({ id: msg.id, ok: false, errorType: (error && error.name) || 'Error', errorMessage: String((error && error.message) || e) });
  }
});
