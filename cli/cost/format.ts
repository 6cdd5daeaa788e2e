/** The estimate as text: a header with the inputs, the breakdown table and the summary lines. */
import { formatNumber, formatUsd, renderTable } from '../format';
import type { CostEstimate } from './estimate';

/** The breakdown as a text table plus summary lines. */
export function formatCostEstimate(est: CostEstimate): string {
  const i = est.inputs;
  const d = est.derived;
  const perDevice = i.messagesPerSecondPerDevice >= 1
    ? `${formatNumber(i.messagesPerSecondPerDevice, 2)} msg/s`
    : `1 msg every ${formatTrim(1 / i.messagesPerSecondPerDevice)} s`;
  const header = [
    `Monthly cost estimate: ${est.prices.region} on-demand prices ${est.prices.asOf}; ${formatNumber(d.secondsPerMonth / 3600)}-hour month`,
    `${formatNumber(i.devices)} devices × ${perDevice} = ${formatTrim(d.messagesPerSecond)} msg/s = ${formatNumber(d.messagesPerMonth)} messages/month`,
    `payload ${formatNumber(i.payloadBytes)} B + topic ${formatNumber(i.topicBytes)} B (${d.iotUnitsPerMessage} × 5 KB unit${d.iotUnitsPerMessage === 1 ? '' : 's'}); Firehose record ${formatNumber(d.firehoseRecordBytes)} B; `
      + `buffer ${i.bufferMb} MiB / ${i.bufferSeconds} s → a batch every ${formatNumber(d.secondsPerFlush, 1)} s`,
    '',
  ];
  const rows = est.lines.map((l) => [
    l.item,
    `${formatQuantity(l.quantity)} ${l.quantityUnit}`,
    l.unitPrice,
    formatUsd(l.usd),
  ]);
  rows.push(['Total', '', '', formatUsd(est.totalUsd)]);
  const table = renderTable(['Item', 'Quantity / month', 'Unit price', 'USD / month'], rows, [false, true, false, true]);
  return [
    ...header,
    table,
    '',
    `Cost per million messages: ${formatUsd(est.usdPerMillionMessages)}`,
    `Not included: ${est.notIncluded.join('; ')}.`,
    `Prices: ${est.prices.sources.join(' ')} (check the live pages).`,
  ].join('\n');
}

/** 10 → "10", 0.1 → "0.1", 2.345 → "2.35". */
function formatTrim(v: number): string {
  return Number.isInteger(v) ? formatNumber(v) : String(Number(v.toFixed(2)));
}

function formatQuantity(q: number): string {
  if (q === 0) return '0';
  if (q >= 100) return formatNumber(q);
  return formatNumber(q, 2);
}
