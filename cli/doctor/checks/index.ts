/**
 * The doctor's checks, in the order they run and report (the README's Troubleshooting table lists them in this
 * order; a test compares). Adding a check: one file in this folder exporting `defineCheck({...})`, one line below,
 * a row in the README table, and its cases in test/cli/doctor/checks.test.ts.
 */
import { certificateCheck } from './certificate';
import { certificatePolicyCheck } from './certificate-policy';
import { certificateThingCheck } from './certificate-thing';
import { deliveryCheck } from './delivery';
import { fleetClaimCheck } from './fleet-claim';
import { fleetHookCheck } from './fleet-hook';
import { fleetTemplateCheck } from './fleet-template';
import { freshnessCheck } from './freshness';
import { policyConnectCheck } from './policy-connect';
import { policyPublishCheck } from './policy-publish';
import { processingCheck } from './processing';
import { ruleCheck } from './rule';
import { ruleActionCheck } from './rule-action';
import { ruleErrorsCheck } from './rule-errors';
import { ruleTopicCheck } from './rule-topic';
import { stackCheck } from './stack';
import { streamCheck } from './stream';

/** The check that runs first and alone when the stack or its pipeline is missing. */
export const STACK_CHECK = stackCheck;

/** The checks of a pipeline found in the stack, in order. */
export const PIPELINE_CHECKS = [
  certificateCheck,
  certificatePolicyCheck,
  certificateThingCheck,
  policyConnectCheck,
  policyPublishCheck,
  ruleCheck,
  ruleTopicCheck,
  ruleActionCheck,
  streamCheck,
  processingCheck,
  deliveryCheck,
  ruleErrorsCheck,
  freshnessCheck,
  fleetTemplateCheck,
  fleetClaimCheck,
  fleetHookCheck,
] as const;

/** Every check, in order. */
export const DOCTOR_CHECKS = [STACK_CHECK, ...PIPELINE_CHECKS] as const;

/** The id of a check. */
export type CheckId = (typeof DOCTOR_CHECKS)[number]['id'];

/** The ids of the checks, in order. */
export const CHECK_IDS: readonly CheckId[] = DOCTOR_CHECKS.map((check) => check.id);
