/**
 * Fleet provisioning by claim against the local runner, the way devices onboard: the AWS IoT Device SDK v2 for
 * Python (IotIdentityClientV2 over its MQTT 5 client) creates keys and a certificate with the claim certificate,
 * registers the thing through the template (and its pre-provisioning hook), then connects with the new certificate
 * as the new thing and publishes; the rows reach the parsed folder with the thing as `device`. Also over mqtt.js:
 * answers go only to the asking connection and only after it subscribed; a certificate that was never registered
 * cannot connect; a second connection with the same client id takes the session over (DISCONNECT 0x8E).
 */
import { execFile } from 'child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { promisify } from 'util';
import type * as mqtt from 'mqtt';
import { synthFleetFixture, FLEET_STACK, FLEET_TEMPLATE, FLEET_THING_PREFIX, FLEET_TOPIC } from './fleet-fixture';
import { cleanup, connect, readJsonLines, startRunner, tempDir, TestRunner, waitFor } from './helpers';
import { issueClaimCertificate, IssuedClaim } from '../../local/iot/provisioning/store';
import { acceptedTopic, fleetRequestTopics, rejectedTopic } from '../../src/contract';
import { venvTool } from '../support/venv';

jest.mock('aedes', () => jest.requireActual('./helpers').aedesCommonJs());
jest.setTimeout(180_000);

const run = promisify(execFile);
const SCRIPT = join(__dirname, 'device-sdk', 'provision.py');
const TOPICS = fleetRequestTopics(FLEET_TEMPLATE);

interface SdkEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

describe('fleet provisioning by claim in the local runner', () => {
  let dir: string;
  let t: TestRunner;
  let claim: IssuedClaim;
  let otherClaim: IssuedClaim;
  const clients: mqtt.MqttClient[] = [];

  beforeAll(async () => {
    dir = tempDir('fleet');
    const app = synthFleetFixture(join(dir, 'cdk.out'));
    t = await startRunner({ app, dataDir: join(dir, 'data'), stack: FLEET_STACK });
    claim = issueClaimCertificate(t.dataDir, FLEET_TEMPLATE, join(dir, 'claim'));
    otherClaim = issueClaimCertificate(t.dataDir, FLEET_TEMPLATE, join(dir, 'claim-2'));
  });

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    await t?.runner.stop();
    cleanup(dir);
  });

  async function sdkProvision(serial: string, tag: string): Promise<SdkEvent[]> {
    const { stdout } = await run(venvTool('python'), [
      SCRIPT, '--endpoint', 'localhost', '--port', String(t.runner.port),
      '--claim-cert', claim.certPath, '--claim-key', claim.keyPath, '--ca', claim.caPath,
      '--template', FLEET_TEMPLATE, '--serial', serial, '--param', 'Model', 'L-200',
      '--claim-topic', `${FLEET_TOPIC}/claim-${serial}`, '--topic', FLEET_TOPIC, '--count', '3', '--tag', tag,
      '--out', join(dir, 'devices'),
    ], { timeout: 90_000 });
    return stdout.trim().split('\n').map((line) => JSON.parse(line) as SdkEvent);
  }

  async function claimClient(which: IssuedClaim, clientId: string): Promise<mqtt.MqttClient> {
    const c = await connect(t.runner.port, { ...which, thing: '' }, clientId, { protocolVersion: 5 });
    clients.push(c);
    return c;
  }

  /** Subscribes to both answers of a request topic, publishes `payload`, resolves with the first answer. */
  async function request(c: mqtt.MqttClient, topic: string, payload: unknown): Promise<{ topic: string; body: Record<string, unknown> }> {
    await c.subscribeAsync([acceptedTopic(topic), rejectedTopic(topic)], { qos: 1 });
    const answer = new Promise<{ topic: string; body: Record<string, unknown> }>((resolve) => {
      const onMessage = (answerTopic: string, message: Buffer) => {
        if (answerTopic !== acceptedTopic(topic) && answerTopic !== rejectedTopic(topic)) return;
        c.off('message', onMessage);
        resolve({ topic: answerTopic, body: JSON.parse(message.toString()) as Record<string, unknown> });
      };
      c.on('message', onMessage);
    });
    await c.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
    return answer;
  }

  test('GIVEN the claim certificate WHEN the Device SDK provisions serial A1 and publishes as the new thing THEN the rows reach parsed with device lathe-A1, and the claim could not publish telemetry', async () => {
    const events = await sdkProvision('A1', 'fleet-sdk-A1');
    const thing = `${FLEET_THING_PREFIX}A1`;

    // The claim certificate's own telemetry publish: PUBACK 0x87 Not authorized (its policy allows only the API).
    expect(events.find((e) => e.event === 'claim-publish')).toEqual({ event: 'claim-publish', reason_code: 0x87 });
    expect(events.find((e) => e.event === 'registered')).toEqual({ event: 'registered', thing_name: thing, device_configuration: { topic: FLEET_TOPIC } });
    expect(events.filter((e) => e.event === 'puback')).toEqual([0, 1, 2].map((seq) => ({ event: 'puback', seq, reason_code: 0 })));
    expect(events[events.length - 1]).toEqual({ event: 'done' });

    await t.runner.flush();
    const stream = [...t.runner.model.streams.values()][0];
    const parsed = readJsonLines(join(t.dataDir, 's3', stream.destination.bucket.folder), 'parsed/').filter((r) => r.via === 'fleet-sdk-A1');
    expect(parsed.map((r) => [r.device, r.seq])).toEqual([[thing, 0], [thing, 1], [thing, 2]]);
    const raw = readJsonLines(join(t.dataDir, 's3', stream.backup!.bucket.folder), 'raw/').filter((r) => r.via === 'fleet-sdk-A1');
    expect(raw).toHaveLength(3);
    // Nothing the claim published reached the pipeline.
    expect(readJsonLines(join(t.dataDir, 's3', stream.backup!.bucket.folder), 'raw/').filter((r) => String(r.topic).includes('claim-'))).toEqual([]);
    // The thing exists with the attribute the template copies from the request's parameters (the hook kept it).
    expect(JSON.parse(readFileSync(join(t.dataDir, 'things', `${thing}.json`), 'utf8'))).toMatchObject({ name: thing, attributes: { Model: 'L-200' }, template: FLEET_TEMPLATE });
  });

  test('GIVEN a hook that refuses serial numbers starting with BAD WHEN the Device SDK registers BAD-7 THEN RegisterThing is rejected and no thing exists', async () => {
    const events = await sdkProvision('BAD-7', 'fleet-sdk-bad');
    expect(events.find((e) => e.event === 'rejected')).toMatchObject({ status_code: 401, error_code: 'UnauthorizedException', error_message: expect.stringMatching(/pre-provisioning hook refused/) });
    expect(events.find((e) => e.event === 'registered')).toBeUndefined();
    expect(existsSync(join(t.dataDir, 'things', `${FLEET_THING_PREFIX}BAD-7.json`))).toBe(false);
  });

  test('GIVEN a created certificate WHEN RegisterThing has no SerialNumber, or another claim presents the token THEN both are rejected, and the unregistered certificate cannot connect', async () => {
    const a = await claimClient(claim, 'claim-reject-a');
    const created = await request(a, TOPICS.createCertificate, {});
    expect(created.topic).toBe(acceptedTopic(TOPICS.createCertificate));
    expect(Object.keys(created.body).sort()).toEqual(['certificateId', 'certificateOwnershipToken', 'certificatePem', 'privateKey']);

    const missing = await request(a, TOPICS.provision, { certificateOwnershipToken: created.body.certificateOwnershipToken, parameters: {} });
    expect(missing).toEqual({ topic: rejectedTopic(TOPICS.provision), body: { statusCode: 400, errorCode: 'InvalidRequestException', errorMessage: expect.stringMatching(/"SerialNumber"/) } });

    const b = await claimClient(otherClaim, 'claim-reject-b');
    const foreign = await request(b, TOPICS.provision, { certificateOwnershipToken: created.body.certificateOwnershipToken, parameters: { SerialNumber: 'F1' } });
    expect(foreign.body).toMatchObject({ statusCode: 401, errorCode: 'UnauthorizedException' });

    // Still PENDING_ACTIVATION: the broker refuses it (CONNACK 0x87).
    const pendingDir = join(dir, 'pending');
    mkdirSync(pendingDir, { recursive: true });
    writeFileSync(join(pendingDir, 'p.cert.pem'), String(created.body.certificatePem));
    writeFileSync(join(pendingDir, 'p.key.pem'), String(created.body.privateKey));
    await expect(connect(t.runner.port, { thing: 'p', certPath: join(pendingDir, 'p.cert.pem'), keyPath: join(pendingDir, 'p.key.pem'), caPath: claim.caPath, fingerprint: '' }, 'lathe-F1', { protocolVersion: 5 }))
      .rejects.toThrow(/Not authorized|135/i);
    expect(t.logs.some((l) => /PENDING_ACTIVATION/.test(l))).toBe(true);
  });

  test('GIVEN two claim connections WHEN one creates a certificate THEN only it gets the answer; a connection that did not subscribe gets none', async () => {
    const asker = await claimClient(claim, 'claim-asker');
    const bystander = await claimClient(otherClaim, 'claim-bystander');
    const seen: string[] = [];
    await bystander.subscribeAsync([acceptedTopic(TOPICS.createCertificate), rejectedTopic(TOPICS.createCertificate)], { qos: 1 });
    bystander.on('message', (topic) => seen.push(topic));
    const answer = await request(asker, TOPICS.createCertificate, {});
    expect(answer.topic).toBe(acceptedTopic(TOPICS.createCertificate));

    const silent = await claimClient(claim, 'claim-silent');
    const got: string[] = [];
    silent.on('message', (topic) => got.push(topic));
    await silent.publishAsync(TOPICS.createCertificate, '{}', { qos: 1 });
    await waitFor('the runner to log the undelivered answer', () => t.logs.some((l) => l.includes('not delivered to claim-silent')));
    expect(got).toEqual([]);
    expect(seen).toEqual([]);
  });

  test('GIVEN a connected client WHEN a second connection uses the same client id THEN the first is disconnected with reason 0x8E Session taken over', async () => {
    const first = await claimClient(claim, 'claim-same-id');
    const reason = new Promise<number | undefined>((resolve) => first.once('disconnect', (packet) => resolve(packet.reasonCode)));
    await claimClient(claim, 'claim-same-id');
    await expect(reason).resolves.toBe(0x8e);
  });
});
