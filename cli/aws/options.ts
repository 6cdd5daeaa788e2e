/**
 * The options every command that calls AWS takes. Light on purpose (no SDK import): command definitions use it.
 */
import type { Command, OptionValues } from '@commander-js/extra-typings';

/** How to reach AWS. */
export interface AwsOptions {
  readonly region?: string;
  readonly profile?: string;
  /** One endpoint for every service (e.g. a moto server). */
  readonly endpointUrl?: string;
}

/** Adds `--region`, `--profile` and `--endpoint-url` to a command. */
export function withAwsOptions<Args extends unknown[], Opts extends OptionValues>(command: Command<Args, Opts>) {
  return command
    .option('--region <region>', 'AWS Region (default: AWS_REGION / the profile\'s Region)')
    .option('--profile <profile>', 'AWS shared-config profile (default: AWS_PROFILE)')
    .option('--endpoint-url <url>', 'send every AWS API call to this endpoint (e.g. a local moto server)');
}

/** The AWS options out of a command's parsed options. */
export function awsOptionsOf(options: AwsOptions): AwsOptions {
  return { region: options.region, profile: options.profile, endpointUrl: options.endpointUrl };
}
