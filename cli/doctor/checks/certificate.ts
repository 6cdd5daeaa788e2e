import { defineCheck, fail, pass } from '../check';

/** The device certificate (from the stack, the generated certificate's secret, or the thing) exists and is ACTIVE. */
export const certificateCheck = defineCheck({
  id: 'certificate',
  title: 'Certificate exists and is ACTIVE',
  reads: ['certificate', 'certificateProblem', 'thingName'],
  evaluate(facts) {
    const certificate = facts.certificate;
    if (!certificate) {
      return fail(`no device certificate: ${facts.certificateProblem}`,
        `create a certificate and attach it (\`aws iot attach-thing-principal --thing-name ${facts.thingName} --principal <certificate ARN>\`), `
        + 'or use DeviceCertificate.generated() / fromCsr()');
    }
    const from = `(from the ${certificate.source})`;
    if (!certificate.read) return fail(`certificate ${certificate.arn ?? '?'} ${from} has no id`, 'redeploy the stack');
    if (!certificate.read.ok) {
      return certificate.read.notFound
        ? fail(`certificate ${certificate.id} ${from} does not exist`, 'it was deleted outside CloudFormation: redeploy (or replace the certificate)')
        : fail(`certificate ${certificate.id}: ${certificate.read.error}`, 'check the permissions (iot:DescribeCertificate)');
    }
    const status = certificate.read.value.status;
    if (status === 'ACTIVE') return pass(`certificate ${certificate.id} ${from} is ACTIVE`);
    return fail(`certificate ${certificate.id} ${from} is ${status}: AWS IoT refuses the TLS connection`,
      status === 'REVOKED'
        ? 'a revoked certificate cannot be reactivated: issue a new one and attach the policy and thing to it'
        : `\`aws iot update-certificate --certificate-id ${certificate.id} --new-status ACTIVE\``);
  },
});
