/**
 * `cdk-iot-pipeline local certs --claim` and `cdk-iot-pipeline provision` against the local runner running the fleet
 * fixture: the claim files are written, a device is provisioned with keys made by the service or from its own CSR
 * (the key stays here), and a refused registration exits 1 with the rejection.
 */
import { generateKeyPairSync } from 'crypto';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import * as forge from 'node-forge';
import { cli } from './support';
import { fingerprintOfPem } from '../../local/iot/certs';
import { readRecord } from '../../local/iot/provisioning/store';
import { synthFleetFixture, FLEET_STACK, FLEET_TEMPLATE } from '../local/fleet-fixture';
import { cleanup, startRunner, tempDir, TestRunner } from '../local/helpers';

jest.mock('aedes', () => jest.requireActual('../local/helpers').aedesCommonJs());
jest.setTimeout(120_000);

describe('local certs --claim and provision', () => {
  let dir: string;
  let t: TestRunner;
  let claimDir: string;

  beforeAll(async () => {
    dir = tempDir('provision-cli');
    t = await startRunner({ app: synthFleetFixture(join(dir, 'cdk.out')), dataDir: join(dir, 'data'), stack: FLEET_STACK });
    claimDir = join(dir, 'claim');
  });

  afterAll(async () => {
    await t?.runner.stop();
    cleanup(dir);
  });

  const provision = (serial: string, ...extra: string[]) => cli('provision',
    '--endpoint', `127.0.0.1:${t.runner.port}`,
    '--claim-cert', join(claimDir, `${FLEET_TEMPLATE}-claim.cert.pem`), '--claim-key', join(claimDir, `${FLEET_TEMPLATE}-claim.key.pem`),
    '--ca', join(claimDir, 'ca.pem'), '--template', FLEET_TEMPLATE, '--serial', serial, '--out', join(dir, 'devices'), ...extra);

  test('GIVEN the data dir WHEN local certs --claim lathes THEN it writes the claim certificate, its key and the CA', async () => {
    const r = await cli('local', 'certs', '--data-dir', t.dataDir, '--claim', FLEET_TEMPLATE, '--out', claimDir);
    expect(r).toMatchObject({ code: 0, err: '' });
    for (const file of [`${FLEET_TEMPLATE}-claim.cert.pem`, `${FLEET_TEMPLATE}-claim.key.pem`, 'ca.pem']) expect(existsSync(join(claimDir, file))).toBe(true);
    const id = fingerprintOfPem(readFileSync(join(claimDir, `${FLEET_TEMPLATE}-claim.cert.pem`), 'utf8'));
    expect(readRecord(t.dataDir, id)).toMatchObject({ claimTemplate: FLEET_TEMPLATE, status: 'ACTIVE', thing: '' });
    expect(await cli('local', 'certs', '--data-dir', t.dataDir, '--claim', 'no/such', '--out', claimDir)).toMatchObject({ code: 2, err: expect.stringMatching(/not a provisioning template name/) });
  });

  test('GIVEN the claim WHEN provision --serial C1 --param Model=X9 THEN the thing lathe-C1 is registered and its certificate is ACTIVE', async () => {
    const r = await provision('C1', '--param', 'Model=X9');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^thing {4}lathe-C1$/m);
    const certPem = readFileSync(join(dir, 'devices', 'lathe-C1.cert.pem'), 'utf8');
    expect(existsSync(join(dir, 'devices', 'lathe-C1.key.pem'))).toBe(true);
    expect(readRecord(t.dataDir, fingerprintOfPem(certPem))).toMatchObject({ thing: 'lathe-C1', status: 'ACTIVE', policies: [expect.stringMatching(/FleetPolicy/)] });
  });

  test('GIVEN a CSR made here WHEN provision --csr THEN the certificate holds the CSR\'s public key and no key was sent', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const csr = forge.pki.createCertificationRequest();
    csr.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    csr.setSubject([{ name: 'commonName', value: 'lathe-D1' }]);
    csr.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()), forge.md.sha256.create());
    writeFileSync(join(dir, 'd1.csr'), forge.pki.certificationRequestToPem(csr));
    const r = await provision('D1', '--csr', join(dir, 'd1.csr'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/never left this machine/);
    const cert = forge.pki.certificateFromPem(readFileSync(join(dir, 'devices', 'lathe-D1.cert.pem'), 'utf8'));
    expect(forge.pki.publicKeyToPem(cert.publicKey)).toBe(forge.pki.publicKeyToPem(csr.publicKey!));
    expect(existsSync(join(dir, 'devices', 'lathe-D1.key.pem'))).toBe(false);
  });

  test('GIVEN a hook that refuses BAD serials WHEN provision --serial BAD-1 THEN it exits 1 with the rejection', async () => {
    const r = await provision('BAD-1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/rejected: 401 UnauthorizedException: the pre-provisioning hook refused/);
    expect(existsSync(join(dir, 'devices', 'lathe-BAD-1.cert.pem'))).toBe(false);
  });

  test('GIVEN a malformed --param WHEN provision THEN it says how to write it (exit 2)', async () => {
    expect(await provision('E1', '--param', 'Model')).toMatchObject({ code: 2, err: expect.stringMatching(/NAME=VALUE/) });
  });
});
