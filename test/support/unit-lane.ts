/**
 * Setup file of the fast lane (`npx projen test:unit`): a unit test starts no process and opens no socket.
 * Every way to do either throws here, naming the call, so a test that does it fails in the fast lane until its
 * file is named `*.e2e.test.ts` (the full `npx projen test` runs both kinds; `test:unit` skips `*.e2e.test.ts`).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as ChildProcess from 'child_process';
import type * as Net from 'net';
import type * as WorkerThreads from 'worker_threads';

function forbidden(what: string): never {
  throw new Error(`${what} in the unit lane: a unit test starts no process and opens no socket. `
    + 'If the test needs it, name its file *.e2e.test.ts (it then runs in `npx projen test`, not in `test:unit`).');
}

const childProcess = require('child_process') as typeof ChildProcess;
for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const) {
  Object.defineProperty(childProcess, name, { configurable: true, writable: true, value: () => forbidden(`child_process.${name}()`) });
}

const net = require('net') as typeof Net;
net.Server.prototype.listen = function listen(): never {
  return forbidden('listening on a socket (net.Server.listen)');
};
net.Socket.prototype.connect = function connect(): never {
  return forbidden('connecting a socket (net.Socket.connect)');
};

const workerThreads = require('worker_threads') as typeof WorkerThreads;
Object.defineProperty(workerThreads, 'Worker', {
  configurable: true,
  writable: true,
  value: class ForbiddenWorker {
    constructor() {
      forbidden('starting a worker thread (worker_threads.Worker)');
    }
  },
});
