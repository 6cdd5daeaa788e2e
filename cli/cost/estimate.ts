/**
 * The cost model: devices × message rate × payload size → a monthly bill, line by line, from the price table.
 */
import { FIREHOSE_ACTION_SEPARATOR } from '../../src/contract';
import { formatPrice } from '../format';
import { PRICES, PriceItem, PriceTable } from './prices';

/** What the estimate is computed from. */
export interface CostInputs {
  /** Number of devices. */
  readonly devices: number;
  /** Messages per second sent by each device. */
  readonly messagesPerSecondPerDevice: number;
  /** Payload bytes per message. */
  readonly payloadBytes: number;
  /** Bytes of the topic each message is published to (IoT meters payload + topic). */
  readonly topicBytes: number;
  /** Devices publish with Basic Ingest ($aws/rules/<rule>/...): no messaging charge. */
  readonly basicIngest: boolean;
  /** Raw backup of every source record (one more S3 object per flush). */
  readonly backup: boolean;
  /** Parser Lambda memory in MB. */
  readonly parserMemoryMb: number;
  /** Parser Lambda billed duration per batch in ms. */
  readonly parserMsPerBatch: number;
  /** Firehose buffer size in MiB (processor and S3 destination). */
  readonly bufferMb: number;
  /** Firehose buffer interval in seconds (processor and S3 destination). */
  readonly bufferSeconds: number;
}

/** One line of the breakdown. */
export interface CostLine {
  readonly id: 'iot-messaging' | 'iot-rules' | 'iot-actions' | 'firehose-ingestion' | 'lambda-requests' | 'lambda-compute' | 's3-put';
  readonly item: string;
  readonly quantity: number;
  readonly quantityUnit: string;
  readonly unitPrice: string;
  readonly usd: number;
}

/** The estimate. */
export interface CostEstimate {
  readonly inputs: CostInputs;
  readonly derived: {
    readonly secondsPerMonth: number;
    readonly messagesPerSecond: number;
    readonly messagesPerMonth: number;
    /** 5 KB units per message for IoT messaging, rules and actions. */
    readonly iotUnitsPerMessage: number;
    /** Bytes of one Firehose record: payload + the `"topic":"…",` field the rule adds + the newline separator. */
    readonly firehoseRecordBytes: number;
    readonly firehoseBilledGb: number;
    /** Seconds between buffer flushes (the buffer fills or the interval passes, whichever first). */
    readonly secondsPerFlush: number;
    /** Parser invocations = buffer flushes per month (never more than messages). */
    readonly batchesPerMonth: number;
    readonly lambdaGbSeconds: number;
    readonly s3Puts: number;
  };
  readonly lines: CostLine[];
  readonly totalUsd: number;
  readonly usdPerMillionMessages: number;
  readonly prices: { readonly region: string; readonly asOf: string; readonly sources: string[] };
  readonly notIncluded: string[];
}

/**
 * Bytes the default rule (`SELECT topic() as topic, * ...`) and its Firehose action add to each record: the field
 * `"topic":"<topic>",` (the topic + 11) and the separator after every message.
 */
export const RECORD_OVERHEAD_BYTES = Buffer.byteLength('"topic":"",') + Buffer.byteLength(FIREHOSE_ACTION_SEPARATOR);

/** Computes the monthly cost of a pipeline. */
export function estimateCost(inputs: CostInputs, prices: PriceTable = PRICES): CostEstimate {
  const secondsPerMonth = prices.hoursPerMonth * 3600;
  const messagesPerSecond = inputs.devices * inputs.messagesPerSecondPerDevice;
  const messagesPerMonth = messagesPerSecond * secondsPerMonth;
  const inc = prices.meteringIncrementBytes;

  const iotUnitsPerMessage = Math.ceil((inputs.payloadBytes + inputs.topicBytes) / inc);
  const meteredMessages = messagesPerMonth * iotUnitsPerMessage;

  const firehoseRecordBytes = inputs.payloadBytes + inputs.topicBytes + RECORD_OVERHEAD_BYTES;
  const billedBytesPerRecord = Math.ceil(firehoseRecordBytes / inc) * inc;
  const firehoseBilledGb = (messagesPerMonth * billedBytesPerRecord) / prices.bytesPerGb;

  const bytesPerSecond = messagesPerSecond * firehoseRecordBytes;
  const secondsToFill = (inputs.bufferMb * 1024 * 1024) / bytesPerSecond;
  const secondsPerFlush = Math.min(inputs.bufferSeconds, secondsToFill);
  const batchesPerMonth = Math.min(messagesPerMonth, secondsPerMonth / secondsPerFlush);
  const lambdaGbSeconds = batchesPerMonth * (inputs.parserMsPerBatch / 1000) * (inputs.parserMemoryMb / 1024);
  const s3Puts = batchesPerMonth * (inputs.backup ? 2 : 1);

  const cost = (quantity: number, price: PriceItem) => (quantity / price.per) * price.usd;
  const priceText = (price: PriceItem) => `${formatPrice(price.usd)} per ${price.per === 1_000_000 ? '1M ' : price.per === 1000 ? '1K ' : ''}${price.unit}`;
  const lines: CostLine[] = [
    {
      id: 'iot-messaging',
      item: inputs.basicIngest ? 'IoT Core messaging (Basic Ingest: free)' : 'IoT Core messaging',
      quantity: inputs.basicIngest ? 0 : meteredMessages,
      quantityUnit: 'messages (5 KB units)',
      unitPrice: priceText(prices.iotMessaging),
      usd: inputs.basicIngest ? 0 : cost(meteredMessages, prices.iotMessaging),
    },
    {
      id: 'iot-rules',
      item: 'IoT rules triggered',
      quantity: meteredMessages,
      quantityUnit: 'rules (5 KB units)',
      unitPrice: priceText(prices.iotRulesTriggered),
      usd: cost(meteredMessages, prices.iotRulesTriggered),
    },
    {
      id: 'iot-actions',
      item: 'IoT rule actions (Firehose)',
      quantity: meteredMessages,
      quantityUnit: 'actions (5 KB units)',
      unitPrice: priceText(prices.iotRuleActions),
      usd: cost(meteredMessages, prices.iotRuleActions),
    },
    {
      id: 'firehose-ingestion',
      item: 'Firehose Direct PUT ingestion',
      quantity: firehoseBilledGb,
      quantityUnit: 'GB billed',
      unitPrice: priceText(prices.firehoseDirectPut),
      usd: cost(firehoseBilledGb, prices.firehoseDirectPut),
    },
    {
      id: 'lambda-requests',
      item: 'Parser Lambda requests',
      quantity: batchesPerMonth,
      quantityUnit: 'batches',
      unitPrice: priceText(prices.lambdaRequests),
      usd: cost(batchesPerMonth, prices.lambdaRequests),
    },
    {
      id: 'lambda-compute',
      item: `Parser Lambda compute (${inputs.parserMemoryMb} MB × ${inputs.parserMsPerBatch} ms)`,
      quantity: lambdaGbSeconds,
      quantityUnit: 'GB-s',
      unitPrice: priceText(prices.lambdaArmGbSecond),
      usd: cost(lambdaGbSeconds, prices.lambdaArmGbSecond),
    },
    {
      id: 's3-put',
      item: inputs.backup ? 'S3 PUT (parsed + raw objects)' : 'S3 PUT (parsed objects)',
      quantity: s3Puts,
      quantityUnit: 'PUTs',
      unitPrice: priceText(prices.s3Put),
      usd: cost(s3Puts, prices.s3Put),
    },
  ];
  const totalUsd = lines.reduce((sum, l) => sum + l.usd, 0);
  const sources = [...new Set([prices.iotMessaging, prices.firehoseDirectPut, prices.lambdaRequests, prices.s3Put].map((p) => p.source))];
  return {
    inputs,
    derived: {
      secondsPerMonth,
      messagesPerSecond,
      messagesPerMonth,
      iotUnitsPerMessage,
      firehoseRecordBytes,
      firehoseBilledGb,
      secondsPerFlush,
      batchesPerMonth,
      lambdaGbSeconds,
      s3Puts,
    },
    lines,
    totalUsd,
    usdPerMillionMessages: messagesPerMonth > 0 ? totalUsd / (messagesPerMonth / 1_000_000) : 0,
    prices: { region: prices.region, asOf: prices.asOf, sources },
    notIncluded: [
      'IoT Core connectivity (per connection-minute) and the device registry',
      'S3 storage, lifecycle transitions and reads; data transfer',
      'CloudWatch Logs and metrics; Secrets Manager; KMS',
      'free tiers and volume discounts',
    ],
  };
}

