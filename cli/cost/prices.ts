/**
 * Prices the `cost` command uses — data, not code. On-demand, us-east-1, USD, no free tier.
 *
 * Figures as seen in 2026 in archived copies of the AWS pricing pages each item's `source` names (us-east-1,
 * on-demand). Prices change and differ by Region: check the live pages before relying on them,
 * and update `asOf` together with any figure.
 */
export interface PriceItem {
  /** USD per `per` units. */
  readonly usd: number;
  /** How many units the price is for (1,000,000 messages, 1 GB, ...). */
  readonly per: number;
  /** The unit, for display (short). */
  readonly unit: string;
  /** How it is metered. */
  readonly note?: string;
  /** Where the figure comes from. */
  readonly source: string;
}

export interface PriceTable {
  readonly region: string;
  readonly currency: 'USD';
  readonly asOf: string;
  /** Hours in a billing month for monthly estimates (the AWS Pricing Calculator convention). */
  readonly hoursPerMonth: number;
  /** IoT Core and Firehose meter messages/records in increments of this many bytes (5 KB = 5,120 bytes). */
  readonly meteringIncrementBytes: number;
  /** Firehose bills ingestion per GB of 2^30 bytes (its pricing example divides KB by 1,048,576). */
  readonly bytesPerGb: number;
  readonly iotMessaging: PriceItem;
  readonly iotRulesTriggered: PriceItem;
  readonly iotRuleActions: PriceItem;
  readonly firehoseDirectPut: PriceItem;
  readonly lambdaRequests: PriceItem;
  readonly lambdaArmGbSecond: PriceItem;
  readonly s3Put: PriceItem;
}

const IOT = 'https://aws.amazon.com/iot-core/pricing/';

export const PRICES: PriceTable = {
  region: 'us-east-1',
  currency: 'USD',
  asOf: 'seen 2026 in archived copies of the AWS pricing pages',
  hoursPerMonth: 730,
  meteringIncrementBytes: 5120,
  bytesPerGb: 1024 ** 3,
  iotMessaging: {
    usd: 1.0,
    per: 1_000_000,
    unit: 'messages',
    note: 'metered in 5 KB increments of payload + topic (additional metering details page)',
    source: `${IOT} and ${IOT}additional-details/`,
  },
  iotRulesTriggered: { usd: 0.15, per: 1_000_000, unit: 'rules', note: 'metered in 5 KB increments', source: IOT },
  iotRuleActions: { usd: 0.15, per: 1_000_000, unit: 'actions', note: 'metered in 5 KB increments', source: IOT },
  firehoseDirectPut: {
    usd: 0.029,
    per: 1,
    unit: 'GB',
    note: 'Direct PUT ingestion, first 500 TB/month; every record rounded up to 5 KB (5,120 bytes)',
    source: 'https://aws.amazon.com/firehose/pricing/',
  },
  lambdaRequests: { usd: 0.2, per: 1_000_000, unit: 'requests', source: 'https://aws.amazon.com/lambda/pricing/' },
  lambdaArmGbSecond: { usd: 0.0000133334, per: 1, unit: 'GB-s', note: 'arm64 (x86: $0.0000166667)', source: 'https://aws.amazon.com/lambda/pricing/' },
  s3Put: { usd: 0.005, per: 1000, unit: 'PUTs', note: 'S3 Standard PUT, COPY, POST, LIST requests', source: 'https://aws.amazon.com/s3/pricing/' },
};
