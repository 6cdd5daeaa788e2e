import { defineCheck, fail, pass } from '../check';

/** Each fleet provisioning template of the stack exists and is enabled (a disabled template rejects RegisterThing). */
export const fleetTemplateCheck = defineCheck({
  id: 'fleet-template',
  title: 'Fleet provisioning template exists and is enabled',
  reads: ['fleets'],
  evaluate(facts) {
    const fleets = facts.fleets ?? [];
    if (fleets.length === 0) return pass('the stack has no fleet provisioning template');
    const problems: string[] = [];
    const fixes: string[] = [];
    for (const f of fleets) {
      if (!f.template.ok) {
        problems.push(f.template.notFound ? `template ${f.templateName} does not exist` : `template ${f.templateName}: ${f.template.error}`);
        fixes.push(f.template.notFound ? 'redeploy the stack' : 'check the permissions (iot:DescribeProvisioningTemplate)');
      } else if (!f.template.value.enabled) {
        problems.push(`template ${f.templateName} is disabled: RegisterThing is rejected`);
        fixes.push(`\`aws iot update-provisioning-template --template-name ${f.templateName} --enabled\``);
      }
    }
    if (problems.length === 0) return pass(`${fleets.map((f) => f.templateName).join(', ')}: enabled`);
    return fail(problems.join('; '), fixes.join('; '));
  },
});
