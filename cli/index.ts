/**
 * `cdk-iot-pipeline`: the program. It only wires the commands; each command is one module in `cli/commands/`
 * (its options, help and action), and each loads its implementation when it runs.
 */
import { Command, CommanderError } from '@commander-js/extra-typings';
import type { CommandContext, CommandModule } from './command';
import { costCommand } from './commands/cost';
import { doctorCommand } from './commands/doctor';
import { localCommand } from './commands/local';
import { parserCommand } from './commands/parser';
import { provisionCommand } from './commands/provision';
import { publishCommand } from './commands/publish';
import { queryCommand } from './commands/query';
import { replayCommand } from './commands/replay';
import { simulateCommand } from './commands/simulate';
import { CliError } from './errors';
import { Io, processIo } from './io';
import type { LocalOptions } from './local/run';
import { runnerThreadOptions } from './local/thread';

export type { Io } from './io';

/** The commands, in the order `--help` lists them. */
export const COMMANDS: readonly CommandModule[] = [
  publishCommand, provisionCommand, doctorCommand, costCommand, localCommand, queryCommand, parserCommand, replayCommand,
  simulateCommand,
];

/** Builds the command tree; every command writes through `context.io` and reports its exit code to `context.setExitCode`. */
export function buildProgram(context: CommandContext): Command {
  const program = new Command('cdk-iot-pipeline')
    .description('Send test messages to, diagnose, and estimate the cost of an IotCoreFirehosePipeline (cdk-iot-core-firehose-pipeline).')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => context.io.stdout(text), writeErr: (text) => context.io.stderr(text) });
  for (const command of COMMANDS) command.register(program, context);
  return program;
}

/**
 * Runs the CLI with the user's arguments (without `node` and the script) and returns the exit code:
 * 0 success, 1 a failure (FAIL finding, unacknowledged messages, AWS/broker errors), 2 wrong usage.
 * Errors are printed as one line that says what to do, never as a stack trace. `script` is this file when it runs
 * as the program (see `CommandContext.script`).
 */
export async function run(args: string[], io: Io = processIo, script?: string): Promise<number> {
  let exitCode = 0;
  const program = buildProgram({ io, setExitCode: (code) => { exitCode = code; }, script });
  if (args.length === 0) {
    io.stdout(program.helpInformation());
    return 0;
  }
  try {
    await program.parseAsync(args, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2; // commander already printed the message
    }
    return reportError(e, io);
  }
}

/** Prints an error as one line and returns its exit code (a `CliError`'s own, else 1). */
function reportError(e: unknown, io: Io): number {
  if (e instanceof CliError) {
    io.stderr(`error: ${e.message}\n`);
    return e.exitCode;
  }
  io.stderr(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  return 1;
}

/** In the runner's thread: runs the runner with the options the main thread parsed (cli/local/thread.ts). */
async function runRunnerThread(options: LocalOptions): Promise<number> {
  let exitCode = 0;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (see cli/command.ts)
    const { runLocal } = require('./local/run') as typeof import('./local/run');
    await runLocal(options, { io: processIo, setExitCode: (code) => { exitCode = code; } });
    return exitCode;
  } catch (e) {
    return reportError(e, processIo);
  }
}

if (require.main === module) {
  // The AWS SDK is bundled into the CLI at a fixed version; its notice about future Node.js versions does not apply.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // `local` runs the runner in a worker thread that runs this file again, with the options already parsed.
  const runnerOptions = runnerThreadOptions<LocalOptions>();
  void (runnerOptions ? runRunnerThread(runnerOptions) : run(process.argv.slice(2), processIo, __filename)).then((code) => {
    process.exitCode = code;
  });
}
