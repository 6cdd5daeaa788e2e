/** Reading a deployed stack with CloudFormation. */
import { DescribeStacksCommand, ListStackResourcesCommand, Output, StackResourceSummary } from '@aws-sdk/client-cloudformation';
import type { AwsClients } from './clients';
import { explainAwsError } from './errors';

/** A stack as the CLI needs it. */
export interface StackInfo {
  readonly stackName: string;
  readonly stackId: string;
  readonly status: string;
  readonly outputs: Output[];
  /** From the stack ARN. */
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** Reads a stack; undefined when it does not exist. */
export async function describeStack(clients: AwsClients, stackName: string): Promise<StackInfo | undefined> {
  let stack;
  try {
    stack = (await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  } catch (e) {
    if (/does not exist/i.test((e as Error).message ?? '')) return undefined;
    throw explainAwsError(e, `Reading stack ${stackName}`);
  }
  if (!stack?.StackId) return undefined;
  const arn = stack.StackId.split(':');
  return {
    stackName: stack.StackName ?? stackName,
    stackId: stack.StackId,
    status: stack.StackStatus ?? 'UNKNOWN',
    outputs: stack.Outputs ?? [],
    partition: arn[1] ?? 'aws',
    region: arn[3] ?? '',
    account: arn[4] ?? '',
  };
}

/** All resources of a stack. */
export async function listStackResources(clients: AwsClients, stackName: string): Promise<StackResourceSummary[]> {
  const out: StackResourceSummary[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await clients.cloudFormation.send(new ListStackResourcesCommand({ StackName: stackName, NextToken: token }));
      out.push(...(page.StackResourceSummaries ?? []));
      token = page.NextToken;
    } while (token);
  } catch (e) {
    throw explainAwsError(e, `Listing the resources of stack ${stackName}`);
  }
  return out;
}
