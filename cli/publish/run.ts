/** `cdk-iot-pipeline publish`, once its options are parsed: resolve the settings, publish, print the report. */
import { AwsClients } from '../aws/clients';
import type { AwsOptions } from '../aws/options';
import type { CommandContext } from '../command';
import { printReport } from '../io';
import { publishMessages } from './mqtt';
import { formatPublishReport } from './report';
import { PublishOptions, resolvePublishSettings } from './settings';

/** Publishes and prints; the exit code is 0 when every message was acknowledged. */
export async function runPublish(
  options: PublishOptions,
  aws: AwsOptions,
  output: { readonly json?: boolean; readonly progress?: (line: string) => void },
  context: CommandContext,
): Promise<void> {
  let clients: AwsClients | undefined;
  try {
    const settings = await resolvePublishSettings(options, () => (clients ??= new AwsClients(aws)), output.progress);
    const report = await publishMessages(settings);
    printReport(context.io, report, output.json, formatPublishReport);
    context.setExitCode(report.failed === 0 ? 0 : 1);
  } finally {
    clients?.destroy();
  }
}
