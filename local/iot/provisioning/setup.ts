/**
 * Opens the fleet provisioning API of a runner: the provisioning templates of the model and an invoker for each
 * pre-provisioning hook (run from its asset, or its inline code staged under `<data-dir>/runtime`, like any function:
 * local/lambda/runtime.ts). Nothing when the stack(s) have no fleet provisioning template.
 */
import { join } from 'path';
import { FleetProvisioning } from './service';
import type { LocalModel } from '../../assembly/model';
import { createInvoker, Invoker, stageFunctionCode } from '../../lambda/runtime';

export interface OpenedProvisioning {
  readonly service: FleetProvisioning;
  /** The hooks' runtimes (closed with the runner's). */
  readonly invokers: Invoker[];
}

export function openFleetProvisioning(options: {
  model: LocalModel; dataDir: string; log: (line: string) => void; functionEnv: Record<string, string>;
}): OpenedProvisioning | undefined {
  const templates = options.model.provisioningTemplates;
  if (!templates || templates.size === 0) return undefined;
  const invokers = new Map<string, Invoker>();
  for (const t of templates.values()) {
    if (t.hookArn && !invokers.has(t.hookArn)) {
      invokers.set(t.hookArn, createInvoker(stageFunctionCode(options.model.functions.get(t.hookArn)!, join(options.dataDir, 'runtime')), join(options.dataDir, 'logs'), options.functionEnv));
    }
  }
  const service = new FleetProvisioning({
    dataDir: options.dataDir,
    model: options.model,
    log: options.log,
    invoke: (arn, event) => invokers.get(arn)!.invoke(event),
  });
  return { service, invokers: [...invokers.values()] };
}
