/**
 * The shape of a CLI command. Every command is one file under `cli/commands/` that exports a `CommandModule`:
 * it declares the command's options and help, parses them, and loads its implementation (AWS SDK clients, MQTT,
 * the local runner) only when its action runs, so `--help` stays fast:
 *
 *     const { runCost } = require('../cost/run') as typeof import('../cost/run');
 *
 * A `require` inside the action, not `await import()`: esbuild bundles both lazily (the module's code runs at the
 * first call), but jest cannot run `import()` without --experimental-vm-modules, and the tsconfig's node16 mode
 * would keep `import()` as a real ESM import. A test (test/cli/lazy-loading.test.ts) checks that `--help` loads
 * none of the heavy packages. `cli/index.ts` only lists the modules.
 */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { Io } from './io';

/** What a command gets from the program around it. */
export interface CommandContext {
  /** All output goes here. */
  readonly io: Io;
  /**
   * The CLI's own file when it runs as a program: `local` runs the runner in a worker thread of it
   * (cli/local/thread.ts). Absent in process (tests): the runner runs in the caller's thread.
   */
  readonly script?: string;
  /** Receives the command's exit code: 0 success, 1 a failure the command found. Usage errors throw `UsageError`. */
  setExitCode(code: number): void;
}

/** One command of `cdk-iot-pipeline`. */
export interface CommandModule {
  /** The command's name, as typed after `cdk-iot-pipeline`. */
  readonly name: string;
  /** Adds the command (options, help, action) to the program. */
  register(program: CommandUnknownOpts, context: CommandContext): void;
}
