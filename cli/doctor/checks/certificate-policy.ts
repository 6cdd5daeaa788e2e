import { defineCheck, fail, notChecked, pass, warn } from '../check';
import { certificateDescribed } from '../derived';

/** The pipeline's device policy is attached to the certificate. */
export const certificatePolicyCheck = defineCheck({
  id: 'certificate-policy',
  title: 'Policy attached to the certificate',
  reads: ['certificate', 'attachedPolicies', 'policyName'],
  evaluate(facts) {
    const certificate = facts.certificate;
    if (!certificateDescribed(facts) || certificate?.arn === undefined) return notChecked('no usable certificate');
    if (!facts.attachedPolicies?.ok) {
      return warn(`could not list the certificate's policies: ${facts.attachedPolicies?.error}`, 'allow iot:ListAttachedPolicies');
    }
    const names = facts.attachedPolicies.value.map((p) => p.name);
    const fix = `\`aws iot attach-policy --policy-name ${facts.policyName ?? '<device policy name>'} --target ${certificate.arn}\``;
    if (names.length === 0) {
      return fail(`no policy is attached to certificate ${certificate.id}: every request of the device is denied`, fix);
    }
    if (facts.policyName !== undefined && !names.includes(facts.policyName)) {
      return fail(`the pipeline's policy ${facts.policyName} is not attached to certificate ${certificate.id} (attached: ${names.join(', ')})`, fix);
    }
    return pass(`attached to certificate ${certificate.id}: ${names.join(', ')}`);
  },
});
