/** `cdk-iot-pipeline doctor`, once its options are parsed: gather the facts, run the checks, print the report. */
import { AwsClients } from '../aws/clients';
import type { AwsOptions } from '../aws/options';
import type { CommandContext } from '../command';
import { printReport } from '../io';
import { evaluateFacts } from './evaluate';
import { gatherFacts, GatherOptions } from './gather';
import { buildReport, DoctorReport, formatDoctorReport } from './report';

/** Gathers the facts with these clients and runs every check. */
export async function runDoctor(clients: AwsClients, options: GatherOptions): Promise<DoctorReport> {
  const facts = await gatherFacts(clients, options);
  return buildReport(facts, evaluateFacts(facts));
}

/** Runs the doctor and prints; the exit code is 0 when nothing FAILs. */
export async function runDoctorCommand(options: GatherOptions, aws: AwsOptions, output: { json?: boolean }, context: CommandContext): Promise<void> {
  const clients = new AwsClients(aws);
  try {
    const report = await runDoctor(clients, options);
    printReport(context.io, report, output.json, formatDoctorReport);
    context.setExitCode(report.summary.fail === 0 ? 0 : 1);
  } finally {
    clients.destroy();
  }
}
