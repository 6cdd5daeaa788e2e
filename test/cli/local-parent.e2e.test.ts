/** `local` stops the runner cleanly, delivering its buffers, when the process that started it exits. */
import { join } from 'path';
import { runLocal } from '../../cli/local/run';
import { cleanup, exampleAssembly, tempDir } from '../local/helpers';

jest.mock('aedes', () => jest.requireActual('../local/helpers').aedesCommonJs());
jest.setTimeout(120000);

test('GIVEN a running runner WHEN its parent process exits THEN it stops as on SIGTERM and exits 0', async () => {
  // GIVEN
  const dir = tempDir('local-parent');
  let parentExit: (() => void) | undefined;
  let out = '';
  let err = '';
  const exited = new Promise<number>((resolve) => {
    const hooks = {
      onStopSignal: () => undefined,
      onParentExit: (handler: () => void) => { parentExit = handler; },
      exit: resolve,
    };
    void runLocal({ app: exampleAssembly(), stack: 'IotTelemetryExample', dataDir: join(dir, 'data'), host: '127.0.0.1', port: '0' },
      { io: { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } }, setExitCode: () => undefined }, hooks);
  });
  try {
    for (let i = 0; i < 600 && !out.startsWith('ready'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(out).toMatch(/^ready mqtts:\/\/127\.0\.0\.1:\d+/);
    // WHEN
    parentExit!();
    // THEN
    await expect(exited).resolves.toBe(0);
    expect(err).toContain('[local] the process that started the runner exited: delivering buffered records, then exiting');
  } finally {
    cleanup(dir);
  }
});
