import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One checkov check that does not apply to a resource, and why. */
export interface CheckovSkip {
  readonly id: string;
  readonly comment: string;
}

/**
 * Records checkov skips on one CloudFormation resource (the construct's default child, or the construct itself), in
 * the metadata checkov reads from templates (`Metadata.checkov.skip: [{id, comment}]`). Never applied to children:
 * a skip sits on the exact resource it is about, so a finding on any other resource is still reported.
 */
export function addCheckovSkips(construct: IConstruct, skips: CheckovSkip[]): void {
  const resource = construct instanceof CfnResource ? construct : construct.node.defaultChild;
  if (!(resource instanceof CfnResource)) {
    throw new Error(`${construct.node.path} is not a CloudFormation resource; checkov skips go on the exact resource`);
  }
  const existing: CheckovSkip[] = resource.getMetadata('checkov')?.skip ?? [];
  const merged = [...existing];
  for (const skip of skips) {
    if (!merged.some((s) => s.id === skip.id)) merged.push(skip);
  }
  resource.addMetadata('checkov', { skip: merged });
}
