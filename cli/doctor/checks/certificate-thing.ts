import { defineCheck, fail, notChecked, pass, warn } from '../check';

/** The certificate is attached to the thing (the device policy's `IsAttached` condition and thing variables need it). */
export const certificateThingCheck = defineCheck({
  id: 'certificate-thing',
  title: 'Certificate attached to the thing',
  reads: ['thingName', 'thing', 'certificate', 'thingPrincipals'],
  evaluate(facts) {
    const thingName = facts.thingName;
    if (thingName === undefined) return fail('no thing name in the stack outputs or resources', 'redeploy the stack');
    if (facts.thing && !facts.thing.ok) {
      return facts.thing.notFound
        ? fail(`thing ${thingName} does not exist`, 'it was deleted outside CloudFormation: redeploy the stack')
        : fail(`thing ${thingName}: ${facts.thing.error}`, 'allow iot:DescribeThing');
    }
    const certificate = facts.certificate;
    if (certificate?.arn === undefined) return notChecked('no certificate');
    if (!facts.thingPrincipals?.ok) {
      return warn(`could not list the thing's principals: ${facts.thingPrincipals?.error}`, 'allow iot:ListThingPrincipals');
    }
    if (facts.thingPrincipals.value.includes(certificate.arn)) {
      return pass(`certificate ${certificate.id} is attached to thing ${thingName}`);
    }
    return fail(`certificate ${certificate.id} is not attached to thing ${thingName}: `
      + '${iot:Connection.Thing.*} policy variables do not resolve and IsAttached is false',
    `\`aws iot attach-thing-principal --thing-name ${thingName} --principal ${certificate.arn}\``);
  },
});
