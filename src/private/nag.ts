import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * How cdk-nag renders the ARN of one of the pipeline's buckets in a finding: `<LogicalId.Arn>` for a bucket in the
 * stack, `arn:<AWS::Partition>:s3:::name` for an imported one.
 */
export const NAG_BUCKET_ARN = '(<[^>*]+\\.Arn>|arn:<AWS::Partition>:s3:::[^/*]+)';

/**
 * One cdk-nag suppression: the rule id, why it does not apply, and — for rules that report findings —
 * exactly which findings (`appliesTo`, a literal finding or `{ regex }`).
 */
export interface NagSuppression {
  readonly id: string;
  readonly reason: string;
  readonly appliesTo?: Array<string | { regex: string }>;
}

/**
 * Records cdk-nag suppressions on the construct's CloudFormation resources, in the metadata format cdk-nag
 * reads (`Metadata.cdk_nag.rules_to_suppress`). The library writes the metadata itself instead of calling
 * `NagSuppressions` so that users who run cdk-nag get a clean report without the library depending on
 * cdk-nag at run time; every suppression names the findings it covers and why. A suppression sits on exactly one
 * resource (the construct's default child, or the construct itself), never on a construct's children: a finding on
 * any other resource is still reported.
 */
export function addNagSuppressions(construct: IConstruct, suppressions: NagSuppression[]): void {
  const resource = construct instanceof CfnResource ? construct : construct.node.defaultChild;
  if (!(resource instanceof CfnResource)) {
    throw new Error(`${construct.node.path} is not a CloudFormation resource; cdk-nag suppressions go on the exact resource`);
  }
  const existing: Array<Record<string, unknown>> = resource.getMetadata('cdk_nag')?.rules_to_suppress ?? [];
  const seen = new Set(existing.map((rule) => JSON.stringify(rule)));
  const rules = [...existing];
  for (const suppression of suppressions) {
    const rule: Record<string, unknown> = { reason: suppression.reason, id: suppression.id };
    if (suppression.appliesTo) {
      rule.applies_to = suppression.appliesTo;
    }
    const key = JSON.stringify(rule);
    if (!seen.has(key)) {
      seen.add(key);
      rules.push(rule);
    }
  }
  resource.addMetadata('cdk_nag', { rules_to_suppress: rules });
}
