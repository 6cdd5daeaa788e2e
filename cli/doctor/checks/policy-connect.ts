import { defineCheck } from '../check';
import { clientIdOf } from '../derived';
import { evaluateDevicePolicies, POLICY_EVALUATION_READS } from '../policy-evaluation';

/** The policies attached to the certificate allow iot:Connect with the device's client id. */
export const policyConnectCheck = defineCheck({
  id: 'policy-connect',
  title: 'Policy allows iot:Connect as the client id',
  reads: POLICY_EVALUATION_READS,
  evaluate(facts) {
    const clientId = clientIdOf(facts);
    return evaluateDevicePolicies(facts, {
      action: 'iot:Connect',
      resourceKind: 'client',
      resourceName: clientId,
      title: `Policy allows iot:Connect as ${clientId ?? '?'}`,
      allowFix: `connect with the thing name as client id, or allow iot:Connect on client/${clientId} in a policy attached to the certificate `
        + '(the pipeline\'s device policy allows client/<thing name>)',
    });
  },
});
