/**
 * A standalone entry for manual runs before `local` is wired into the CLI bundle:
 *
 *   npx ts-node --project tsconfig.dev.json lambda/local/main.ts local --app examples/app/cdk.out --port 0
 *   npx ts-node --project tsconfig.dev.json lambda/local/main.ts local certs --thing <thing> --out certs
 */
import { Command } from 'commander';
import { registerLocalCommands } from './index';
import { CliError } from '../cli/errors';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('cdk-iot-pipeline');
  program.description('Run the synthesized IotCoreFirehosePipeline on this machine');
  registerLocalCommands(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(e.exitCode);
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv).catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
