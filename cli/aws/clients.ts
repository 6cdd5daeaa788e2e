/**
 * The AWS SDK clients of the CLI, created on first use. Heavy (it loads the SDK): only command implementations
 * import it, never the command definitions.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { IoTClient } from '@aws-sdk/client-iot';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsOptions } from './options';

/** The SDK clients the CLI uses, created on first use. */
export class AwsClients {
  private readonly cache = new Map<string, { destroy(): void }>();
  constructor(public readonly options: AwsOptions = {}) {}

  public get cloudFormation(): CloudFormationClient { return this.client('cfn', (c) => new CloudFormationClient(c)); }
  public get iot(): IoTClient { return this.client('iot', (c) => new IoTClient(c)); }
  public get firehose(): FirehoseClient { return this.client('firehose', (c) => new FirehoseClient(c)); }
  public get cloudWatch(): CloudWatchClient { return this.client('cw', (c) => new CloudWatchClient(c)); }
  public get logs(): CloudWatchLogsClient { return this.client('logs', (c) => new CloudWatchLogsClient(c)); }
  public get s3(): S3Client { return this.client('s3', (c) => new S3Client({ ...c, forcePathStyle: this.options.endpointUrl !== undefined })); }
  public get secrets(): SecretsManagerClient { return this.client('sm', (c) => new SecretsManagerClient(c)); }

  /** Closes the clients' connections. */
  public destroy(): void {
    for (const c of this.cache.values()) c.destroy();
    this.cache.clear();
  }

  private client<T extends { destroy(): void }>(key: string, create: (config: ClientConfig) => T): T {
    const cached = this.cache.get(key);
    if (cached) return cached as T;
    const created = create({
      ...(this.options.region ? { region: this.options.region } : {}),
      ...(this.options.profile ? { profile: this.options.profile } : {}),
      ...(this.options.endpointUrl ? { endpoint: this.options.endpointUrl } : {}),
      maxAttempts: 3,
    });
    this.cache.set(key, created);
    return created;
  }
}

interface ClientConfig {
  region?: string;
  profile?: string;
  endpoint?: string;
  maxAttempts?: number;
}
