import { defineCheck, fail, pass } from '../check';

/** Locally: the local CA issued the thing a certificate (`local certs`), and one of them is ACTIVE in the registry. */
export const localCertificateCheck = defineCheck({
  id: 'local-certificate',
  title: 'A certificate from the local CA is ACTIVE',
  reads: ['local', 'thingName'],
  evaluate(facts) {
    const local = facts.local!;
    const thing = facts.thingName ?? '<thing>';
    const issue = `\`cdk-iot-pipeline local certs --thing ${thing} --out certs --data-dir ${local.dataDir}\`, then connect with client id ${thing}`;
    if (local.certificates.length === 0) {
      return fail(`the local CA in ${local.dataDir} issued no certificate for thing ${thing}: the broker refuses the TLS connection`, issue);
    }
    const active = local.certificates.filter((c) => c.status === 'ACTIVE');
    if (active.length > 0) return pass(`${active.length} ACTIVE certificate(s) for thing ${thing}, newest ${active[active.length - 1].id.slice(0, 12)}…`);
    const newest = local.certificates[local.certificates.length - 1];
    return fail(`every certificate of thing ${thing} is INACTIVE or REVOKED (newest ${newest.id.slice(0, 12)}… is ${newest.status}): the broker refuses them`,
      newest.status === 'INACTIVE'
        ? `\`cdk-iot-pipeline local certs status --id ${newest.id.slice(0, 12)} --status ACTIVE --data-dir ${local.dataDir}\``
        : `a revoked certificate stays refused: issue a new one with ${issue}`);
  },
});
