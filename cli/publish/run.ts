/** `cdk-iot-pipeline publish`, once its options are parsed: resolve the settings, publish, print the report. */
import { AwsClients } from '../aws/clients';
import type { AwsOptions } from '../aws/options';
import type { CommandContext } from '../command';
import { printReport } from '../io';
import { publishMessages } from './mqtt';
import { assemblyRules, awsRule, nonJsonPayloadWarning, RuleFilter, unreachedRules } from './reach';
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
    const rules = await rulesToReach(options, settings.ruleName, () => (clients ??= new AwsClients(aws)));
    const sample = { kind: settings.payload.kind, bytes: settings.payload.check(settings.clientId).bytes, clientId: settings.clientId };
    for (const warning of [unreachedRules(settings.topic, rules), nonJsonPayloadWarning(settings.topic, rules, sample)]) {
      if (warning !== undefined) context.io.stderr(`warning: ${warning}\n`);
    }
    const report = await publishMessages(settings);
    printReport(context.io, report, output.json, formatPublishReport);
    context.setExitCode(report.failed === 0 ? 0 : 1);
  } finally {
    clients?.destroy();
  }
}

/** The rules the topic should reach: every rule of `--app`, or the pipeline's rule with `--stack`; none otherwise. */
async function rulesToReach(options: PublishOptions, ruleName: string | undefined, clients: () => AwsClients): Promise<RuleFilter[]> {
  if (options.app !== undefined) {
    return assemblyRules(options.app, options.stack);
  }
  if (ruleName === undefined) return [];
  const rule = await awsRule(clients(), ruleName);
  return rule ? [rule] : [];
}
