/**
 * `cdk-iot-pipeline`: the program. It only wires the commands; each command is one module in `cli/commands/`
 * (its options, help and action), and each loads its implementation when it runs.
 */
import { Command, CommanderError } from '@commander-js/extra-typings';
import type { CommandContext, CommandModule } from './command';
import { costCommand } from './commands/cost';
import { doctorCommand } from './commands/doctor';
import { localCommand } from './commands/local';
import { publishCommand } from './commands/publish';
import { queryCommand } from './commands/query';
import { replayCommand } from './commands/replay';
import { CliError } from './errors';
import { Io, processIo } from './io';
import { runInRunnerThread, startsRunner } from './local/thread';

export type { Io } from './io';

/** The commands, in the order `--help` lists them. */
export const COMMANDS: readonly CommandModule[] = [publishCommand, doctorCommand, costCommand, localCommand, queryCommand, replayCommand];

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
 * Errors are printed as one line that says what to do, never as a stack trace.
 */
export async function run(args: string[], io: Io = processIo): Promise<number> {
  let exitCode = 0;
  const program = buildProgram({ io, setExitCode: (code) => { exitCode = code; } });
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
    if (e instanceof CliError) {
      io.stderr(`error: ${e.message}\n`);
      return e.exitCode;
    }
    io.stderr(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  // The AWS SDK is bundled into the CLI at a fixed version; its notice about future Node.js versions does not apply.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const args = process.argv.slice(2);
  // `local` runs in a worker thread with the runner's heap settings (cli/local/thread.ts), which runs this file again.
  void (startsRunner(args) ? runInRunnerThread(__filename, args) : run(args)).then((code) => {
    process.exitCode = code;
  });
}
