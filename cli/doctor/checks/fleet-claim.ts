import { defineCheck, fail, pass, warn } from '../check';

/** Each fleet's claim certificate is ACTIVE (devices onboard with it; an inactive claim cannot connect). */
export const fleetClaimCheck = defineCheck({
  id: 'fleet-claim',
  title: 'Fleet claim certificate is ACTIVE',
  reads: ['fleets'],
  evaluate(facts) {
    const fleets = facts.fleets ?? [];
    if (fleets.length === 0) return pass('the stack has no fleet');
    for (const f of fleets) {
      const c = f.claimCertificate;
      if (!c) return warn(`${f.templateName}: claim certificate not checked: ${f.claimProblem}`, 'check the claim certificate with `aws iot describe-certificate`');
      if (!c.ok) {
        return c.notFound
          ? fail(`${f.templateName}: the claim certificate does not exist`, 'it was deleted outside CloudFormation: redeploy the stack')
          : fail(`${f.templateName}: ${c.error}`, 'check the permissions (iot:DescribeCertificate)');
      }
      if (c.value.status !== 'ACTIVE') {
        return fail(`${f.templateName}: claim certificate ${c.value.id} is ${c.value.status}: devices cannot connect to provision`,
          c.value.status === 'REVOKED' ? 'a revoked claim cannot be reactivated: replace the claim certificate and ship it to the fleet'
            : `\`aws iot update-certificate --certificate-id ${c.value.id} --new-status ACTIVE\``);
      }
    }
    return pass(`${fleets.map((f) => f.templateName).join(', ')}: claim certificate ACTIVE`);
  },
});
