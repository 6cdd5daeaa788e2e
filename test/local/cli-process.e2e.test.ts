/**
 * End to end, in child processes: the shipped CLI bundle (`node assets/cli/index.js local …`, built by
 * `npx projen pre-compile`) as users run it — `local certs`, the readiness line, SIGTERM flushing, kill -9
 * followed by a restart losing nothing that was acknowledged, and a failed start that exits.
 */
import { execFile } from 'child_process';
import { X509Certificate } from 'crypto';
import { existsSync, readdirSync, readFileSync } from 'fs';
import { dirname, join } from 'path';
import { promisify } from 'util';
import * as forge from 'node-forge';
import {
  cleanup, connect, exampleAssembly, exampleThing, killRunner, listFiles, readJsonLines, RunnerProcess, runnerScript, spawnRunner, tempDir, waitFor,
} from './helpers';

jest.setTimeout(240000);

const run = promisify(execFile);

describe('local runner as a process', () => {
  let dir: string;
  let app: string;
  let thing: string;
  let runner: RunnerProcess | undefined;
  const certsDir = () => join(dir, 'certs');
  const dataDir = () => join(dir, 'data');

  function bucketDir(kind: 'Parsed' | 'Raw'): string {
    const s3 = join(dataDir(), 's3');
    return join(s3, readdirSync(s3).find((n) => n.startsWith(`PipelineStorage${kind}Bucket`))!);
  }

  async function publishAll(port: number, from: number, count: number): Promise<void> {
    const cert = {
      thing,
      caPath: join(certsDir(), 'ca.pem'),
      certPath: join(certsDir(), `${thing}.cert.pem`),
      keyPath: join(certsDir(), `${thing}.key.pem`),
      fingerprint: '',
    };
    const client = await connect(port, cert, thing);
    try {
      const pending: Array<Promise<unknown>> = [];
      for (let i = from; i < from + count; i++) {
        pending.push(client.publishAsync(`iot-test-topic/crash-${i % 4}`, JSON.stringify({ seq: i, run: 'crash-test' }), { qos: 1 }));
      }
      await Promise.all(pending); // every PUBACK received: acknowledged, so it must not be lost
    } finally {
      await client.endAsync();
    }
  }

  beforeAll(async () => {
    app = exampleAssembly();
    thing = exampleThing(app);
    dir = tempDir('process');
    runnerScript();
  });

  afterEach(async () => {
    await killRunner(runner);
    runner = undefined;
  });

  afterAll(() => cleanup(dir));

  test('GIVEN `local certs` WHEN run THEN ca.pem, <thing>.cert.pem, <thing>.key.pem signed by the data dir\'s CA (RSA 2048, SHA-256, CN = thing) and the fingerprint recorded', async () => {
    const { stdout } = await run(process.execPath, [runnerScript(), 'local', 'certs', '--data-dir', dataDir(), '--thing', thing, '--out', certsDir()], { timeout: 60000 });
    expect(stdout).toContain(`${thing}.cert.pem`);
    const ca = new X509Certificate(readFileSync(join(certsDir(), 'ca.pem')));
    const cert = new X509Certificate(readFileSync(join(certsDir(), `${thing}.cert.pem`)));
    expect(cert.subject).toBe(`CN=${thing}`);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cert.toLegacyObject().ext_key_usage).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
    expect(ca.ca).toBe(true);
    const forgeCert = forge.pki.certificateFromPem(readFileSync(join(certsDir(), `${thing}.cert.pem`), 'utf8'));
    expect(forgeCert.siginfo.algorithmOid).toBe(forge.pki.oids.sha256WithRSAEncryption);
    const fingerprint = cert.fingerprint256.replace(/:/g, '').toLowerCase();
    expect(JSON.parse(readFileSync(join(dataDir(), 'certs', `${fingerprint}.json`), 'utf8'))).toMatchObject({ thing, fingerprint });
    expect(readFileSync(join(dataDir(), 'ca', 'ca.pem'), 'utf8')).toBe(readFileSync(join(certsDir(), 'ca.pem'), 'utf8'));
  });

  test('GIVEN a running runner with a long buffer interval WHEN SIGTERM arrives THEN it delivers the buffers and exits 0', async () => {
    runner = await spawnRunner(['--app', app, '--stack', 'IotTelemetryExample', '--data-dir', dataDir(), '--port', '0', '--buffer-interval', '600s']);
    expect(runner.readyLine).toMatch(/^ready mqtts:\/\/127\.0\.0\.1:\d+ stack=IotTelemetryExample things=\S+ rules=\S+ streams=\S+ data-dir=\S+$/);
    const server = new X509Certificate(readFileSync(join(dataDir(), 'ca', 'server.cert.pem')));
    expect(server.subjectAltName).toMatch(/IP Address:127\.0\.0\.1/);
    expect(server.subjectAltName).toMatch(/DNS:localhost/);
    await publishAll(runner.port, 0, 20);
    expect(listFiles(join(dataDir(), 's3')).filter((k) => k.includes('/parsed/'))).toEqual([]);
    runner.child.kill('SIGTERM');
    const { code } = await runner.exited;
    expect(code).toBe(0);
    expect(readJsonLines(bucketDir('Parsed'), 'parsed/').filter((r) => r.run === 'crash-test').map((r) => r.seq).sort((a, b) => Number(a) - Number(b)))
      .toEqual(Array.from({ length: 20 }, (_v, i) => i));
    expect(existsSync(join(dataDir(), 'journal')) ? readdirSync(join(dataDir(), 'journal')) : []).toEqual([]);
  });

  test('GIVEN acknowledged QoS 1 messages still buffered WHEN the runner is killed with SIGKILL and restarted THEN every one is delivered (raw and parsed)', async () => {
    runner = await spawnRunner(['--app', app, '--data-dir', dataDir(), '--port', '0', '--buffer-interval', '600s']);
    await publishAll(runner.port, 1000, 300);
    runner.child.kill('SIGKILL');
    const { signal } = await runner.exited;
    expect(signal).toBe('SIGKILL');
    const before = readJsonLines(bucketDir('Raw'), 'raw/').filter((r) => Number(r.seq) >= 1000);
    expect(before).toEqual([]); // nothing was delivered before the crash: only the journal has them

    runner = await spawnRunner(['--app', app, '--data-dir', dataDir(), '--port', '0', '--buffer-interval', '600s']);
    // stderr and stdout are separate pipes: the replay line may arrive after the readiness line
    await waitFor('the replay line', () => /replaying 300 acknowledged message\(s\)/.test(runner!.stderr()));
    runner.child.kill('SIGTERM');
    expect((await runner.exited).code).toBe(0);

    const seqs = (dirName: 'Parsed' | 'Raw', prefix: string) => new Set(readJsonLines(bucketDir(dirName), prefix).map((r) => Number(r.seq)).filter((s) => s >= 1000));
    const expected = Array.from({ length: 300 }, (_v, i) => 1000 + i);
    expect([...seqs('Raw', 'raw/')].sort((a, b) => a - b)).toEqual(expected);
    expect([...seqs('Parsed', 'parsed/')].sort((a, b) => a - b)).toEqual(expected);
  });

  test.each<['3.1.1' | '5']>([['5'], ['3.1.1']])('GIVEN the runner WHEN `cdk-iot-pipeline publish --mqtt-version %s` sends 20 messages at QoS 1 THEN all are acknowledged and land raw and parsed', async (version) => {
    const data = join(dir, `data-publish-${version}`);
    const out = join(dir, `certs-publish-${version}`);
    runner = await spawnRunner(['--app', app, '--data-dir', data, '--port', '0', '--buffer-interval', '600s']);
    await run(process.execPath, [runnerScript(), 'local', 'certs', '--data-dir', data, '--thing', thing, '--out', out], { timeout: 60000 });
    const tag = `cli-publish-${version}`;
    const { stdout } = await run(process.execPath, [runnerScript(), 'publish', '--endpoint', `127.0.0.1:${runner.port}`,
      '--cert', join(out, `${thing}.cert.pem`), '--key', join(out, `${thing}.key.pem`), '--ca', join(out, 'ca.pem'), '--client-id', thing,
      '--topic', 'iot-test-topic/cli-device', '--count', '20', '--rate', '200', '--qos', '1', '--mqtt-version', version,
      '--template', `{"seq": {{seq}}, "via": "${tag}"}`, '--json'], { timeout: 60000 });
    expect(JSON.parse(stdout)).toMatchObject({ mqttVersion: version, requested: 20, sent: 20, acked: 20, failed: 0, errors: [] });
    runner.child.kill('SIGTERM');
    expect((await runner.exited).code).toBe(0);
    const s3 = join(data, 's3');
    const bucket = (kind: string) => join(s3, readdirSync(s3).find((n) => n.startsWith(`PipelineStorage${kind}Bucket`))!);
    const seqs = (kind: string, prefix: string) => readJsonLines(bucket(kind), prefix)
      .filter((r) => r.via === tag).map((r) => Number(r.seq)).sort((a, b) => a - b);
    const raw = seqs('Raw', 'raw/');
    expect(new Set(raw).size).toBe(20);
    expect(seqs('Parsed', 'parsed/')).toEqual(raw);
  });

  test('GIVEN a device still connected WHEN SIGTERM arrives THEN the runner closes the connection and exits 0', async () => {
    const data = join(dir, 'data-connected');
    const out = join(dir, 'certs-connected');
    runner = await spawnRunner(['--app', app, '--data-dir', data, '--port', '0']);
    await run(process.execPath, [runnerScript(), 'local', 'certs', '--data-dir', data, '--thing', thing, '--out', out], { timeout: 60000 });
    const cert = { thing, caPath: join(out, 'ca.pem'), certPath: join(out, `${thing}.cert.pem`), keyPath: join(out, `${thing}.key.pem`), fingerprint: '' };
    const client = await connect(runner.port, cert, thing);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    runner.child.kill('SIGTERM');
    expect((await runner.exited).code).toBe(0);
    await closed;
    client.end(true);
  });

  test('GIVEN the shipped bundle WHEN customer B\'s Python parser and customer A\'s Node parser run THEN both Lambda runtime files are found next to it (assets/cli)', async () => {
    expect(readdirSync(dirname(runnerScript())).sort()).toEqual(expect.arrayContaining(['index.js', 'node-worker.js', 'python_shim.py']));
    const data = join(dir, 'data-customers');
    const out = join(dir, 'certs-customers');
    runner = await spawnRunner(['--app', app, '--stack', 'TwoCustomersExample', '--data-dir', data, '--port', '0', '--buffer-interval', '600s']);
    const template = JSON.parse(readFileSync(join(app, 'TwoCustomersExample.template.json'), 'utf8'));
    const thingOf = (prefix: string) => Object.entries(template.Resources as Record<string, { Type: string; Properties: { ThingName: string } }>)
      .find(([id, r]) => r.Type === 'AWS::IoT::Thing' && id.startsWith(prefix))![1].Properties.ThingName;
    for (const [customer, topic] of [['CustomerA', 'customer-a/telemetry/pump-1'], ['CustomerB', 'customer-b/telemetry/valve-9']]) {
      const customerThing = thingOf(customer);
      await run(process.execPath, [runnerScript(), 'local', 'certs', '--data-dir', data, '--thing', customerThing, '--out', out], { timeout: 60000 });
      const client = await connect(runner.port, {
        thing: customerThing, caPath: join(out, 'ca.pem'), certPath: join(out, `${customerThing}.cert.pem`), keyPath: join(out, `${customerThing}.key.pem`), fingerprint: '',
      }, customerThing);
      await client.publishAsync(topic, JSON.stringify({ temperature: 7, humidity: 40, reading: { temperature: 7 }, message: 'ok' }), { qos: 1 });
      await client.endAsync();
    }
    runner.child.kill('SIGTERM');
    expect((await runner.exited).code).toBe(0);
    const parsed = (prefix: string) => {
      const s3 = join(data, 's3');
      return readdirSync(s3).filter((n) => n.startsWith(prefix)).flatMap((b) => listFiles(join(s3, b)).filter((k) => k.startsWith('parsed/')));
    };
    expect(parsed('CustomerAStorageParsedBucket')).toEqual([expect.stringMatching(/\.csv\.gz$/)]);
    expect(parsed('CustomerBStorageParsedBucket')).toEqual([expect.stringMatching(/\.json\.gz$/)]);
  });

  test('GIVEN a port in use WHEN the runner starts THEN it exits 1 with what to do', async () => {
    runner = await spawnRunner(['--app', app, '--data-dir', join(dir, 'data-a'), '--port', '0']);
    await expect(spawnRunner(['--app', app, '--data-dir', join(dir, 'data-b'), '--port', String(runner.port)], 30000))
      .rejects.toThrow(/exited with 1[\s\S]*is in use; give another --port/);
  });
});
