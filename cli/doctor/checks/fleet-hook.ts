import { defineCheck, fail, pass, warn } from '../check';

/**
 * A fleet's pre-provisioning hook may be invoked by AWS IoT: the stack grants iot.amazonaws.com
 * lambda:InvokeFunction (https://docs.aws.amazon.com/iot/latest/developerguide/pre-provisioning-hook.html); without
 * it every RegisterThing of the template is rejected.
 */
export const fleetHookCheck = defineCheck({
  id: 'fleet-hook',
  title: 'Pre-provisioning hook may be invoked by AWS IoT',
  reads: ['fleets'],
  evaluate(facts) {
    const withHook = (facts.fleets ?? []).filter((f) => f.template.ok && f.template.value.hookArn !== undefined);
    if (withHook.length === 0) return pass('no fleet has a pre-provisioning hook');
    for (const f of withHook) {
      const hook = f.template.ok ? f.template.value.hookArn : undefined;
      if (!f.hookPermitted) return warn(`${f.templateName}: not checked`, 'fix the FAIL findings above first');
      if (!f.hookPermitted.ok) return warn(`${f.templateName}: the stack's template could not be read: ${f.hookPermitted.error}`, 'check the permissions (cloudformation:GetTemplate)');
      if (!f.hookPermitted.value) {
        return fail(`${f.templateName}: nothing lets iot.amazonaws.com invoke the hook ${hook}: every registration is rejected`,
          `\`aws lambda add-permission --function-name ${hook} --statement-id iot-provisioning --action lambda:InvokeFunction --principal iot.amazonaws.com\``);
      }
    }
    return pass(`${withHook.map((f) => f.templateName).join(', ')}: the stack grants iot.amazonaws.com lambda:InvokeFunction on the hook`);
  },
});
