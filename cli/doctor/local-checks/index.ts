/**
 * The checks of the local doctor (`doctor --app --data-dir`), in the order they run and report: the AWS doctor's
 * checks where they hold locally (the same policy evaluator, the same topic-filter matching), and two of their own
 * where the local runner keeps the facts elsewhere (the local CA's registry, the data dir's folders and logs).
 */
import { localCertificateCheck } from './local-certificate';
import { localProcessingCheck } from './local-processing';
import { policyConnectCheck } from '../checks/policy-connect';
import { policyPublishCheck } from '../checks/policy-publish';
import { ruleCheck } from '../checks/rule';
import { ruleTopicCheck } from '../checks/rule-topic';
import { stackCheck } from '../checks/stack';

export const LOCAL_CHECKS = [
  stackCheck,
  localCertificateCheck,
  policyConnectCheck,
  policyPublishCheck,
  ruleCheck,
  ruleTopicCheck,
  localProcessingCheck,
] as const;
