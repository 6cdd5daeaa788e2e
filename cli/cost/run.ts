/** `cdk-iot-pipeline cost`, once its options are parsed: estimate and print. */
import type { CommandContext } from '../command';
import { printReport } from '../io';
import { CostInputs, estimateCost } from './estimate';
import { formatCostEstimate } from './format';

export function runCost(inputs: CostInputs, output: { json?: boolean }, context: CommandContext): void {
  printReport(context.io, estimateCost(inputs), output.json, formatCostEstimate);
  context.setExitCode(0);
}
