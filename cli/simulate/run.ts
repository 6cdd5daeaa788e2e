/**
 * `cdk-iot-pipeline simulate`, once its options are parsed: works out the devices (local fleet certificates, a
 * certificates folder, or fleet provisioning by claim), the topic and the payload template, checks that the broker is
 * there, runs the engine (engine.ts) with a live progress line on a terminal, and prints the summary.
 */
import { existsSync, readFileSync } from 'fs';
import { connect as netConnect } from 'net';
import { join, resolve } from 'path';
import { DeviceProvisioner, MAX_RATE_PER_CONNECTION, simulate, SimulatedDevice, SimulateProgress, SimulateSummary } from './engine';
import {
  certsFolderDevices, checkSerialPattern, claimProvisioner, ClaimProvisionerOptions, DEFAULT_SERIAL_PATTERN, defaultTopicPattern, deviceParameters,
  localFleetDevices, parseTemplateParams, selectTemplate, templateRequiredParameters, topicOf,
} from './fleet';
import { formatSummary, progressLine } from './format';
import { DEFAULT_DATA_DIR, issueClaimCertificate } from '../../local';
import { loadModel } from '../../local/assembly/model';
import type { LocalModel, ProvisioningTemplateModel } from '../../local/assembly/model';
import type { CommandContext } from '../command';
import { CliError, UsageError } from '../errors';
import { parseEndpoint } from '../publish/settings';
import { DEFAULT_TEMPLATE, MessageTemplate } from '../publish/template';

/** The command's options, parsed. */
export interface SimulateCommandOptions {
  /** The cloud assembly the local runner runs; absent: against AWS IoT Core. */
  readonly app?: string;
  readonly stack?: string;
  readonly dataDir?: string;
  readonly endpoint: string;
  /** Onboard each device by fleet provisioning with this template. */
  readonly provision?: string;
  /** Without --provision, locally: the template whose things and fleet policy the issued certificates get. */
  readonly fleet?: string;
  readonly certs?: string;
  readonly claimCert?: string;
  readonly claimKey?: string;
  readonly ca?: string;
  readonly serial: string;
  readonly params: readonly string[];
  readonly topic?: string;
  readonly devices: number;
  readonly messages?: number;
  readonly rate?: number;
  readonly durationMs?: number;
  readonly payloadTemplate?: string;
  readonly qos: 0 | 1;
  readonly mqttVersion: 3 | 5;
  readonly connectRate: number;
  readonly maxInFlight: number;
  /** Default: `DEFAULT_MAX_PENDING`, or `DEFAULT_MAX_PENDING_PROVISIONING` with --provision. */
  readonly maxPending?: number;
  readonly drainTimeoutMs: number;
  readonly json?: boolean;
  /** A live progress line on stderr (a terminal). */
  readonly live: boolean;
}

/** Messages per second per device when only --messages is given. */
export const DEFAULT_RATE = 1;

/** Connection attempts under way at once. */
export const DEFAULT_MAX_PENDING = 64;

/**
 * Onboardings under way at once: each makes the service create a key pair and run the template's hook, so a local
 * runner on a small machine answers a few at a time; more would only wait into their 20 s timeout.
 */
export const DEFAULT_MAX_PENDING_PROVISIONING = 8;

/** The devices, the topic, and where they connect. */
interface Plan {
  readonly host: string;
  readonly port: number;
  readonly caPem?: string;
  readonly devices: readonly SimulatedDevice[] | DeviceProvisioner;
  readonly topicPattern: string;
}

export async function runSimulate(o: SimulateCommandOptions, context: CommandContext): Promise<void> {
  const { io } = context;
  const note = (line: string) => io.stderr(`… ${line}\n`);
  if (o.messages === undefined && o.durationMs === undefined) {
    throw new UsageError('say how long to publish: --messages M (per device), or --rate R --duration D');
  }
  if (o.durationMs !== undefined && o.rate === undefined) throw new UsageError('--duration goes with --rate (messages per second per device)');
  const rate = o.rate ?? DEFAULT_RATE;
  if (rate > MAX_RATE_PER_CONNECTION) {
    note(`AWS IoT Core accepts at most ${MAX_RATE_PER_CONNECTION} publishes per second per connection; --rate ${rate} would be throttled there`);
  }
  checkSerialPattern(o.serial);
  const template = readPayloadTemplate(o.payloadTemplate);
  const plan = o.app !== undefined ? localPlan(o, note) : awsPlan(o);
  await checkReachable(plan.host, plan.port, o.app !== undefined, o);

  const controller = new AbortController();
  const onSignal = () => {
    note('interrupted: no new messages; waiting for the acknowledgements in flight, then the summary');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  let lastLine = 0;
  const showProgress = (p: SimulateProgress) => {
    if (!o.live) return;
    const line = progressLine(p);
    io.stderr(`\r\x1b[2K${line}`);
    lastLine = line.length;
  };
  let summary: SimulateSummary;
  try {
    summary = await simulate({
      host: plan.host,
      port: plan.port,
      caPem: plan.caPem,
      devices: plan.devices,
      topic: (device) => topicOf(plan.topicPattern, device.clientId),
      payload: (device, seq) => template.render({ seq, clientId: device.clientId }),
      messagesPerDevice: o.messages,
      durationMs: o.durationMs,
      ratePerDevice: rate,
      qos: o.qos,
      mqttVersion: o.mqttVersion,
      connectRate: o.connectRate,
      maxPendingConnects: o.maxPending ?? (o.provision !== undefined ? DEFAULT_MAX_PENDING_PROVISIONING : DEFAULT_MAX_PENDING),
      maxInFlightPerDevice: o.maxInFlight,
      drainTimeoutMs: o.drainTimeoutMs,
      onProgress: showProgress,
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
  }
  if (o.live && lastLine > 0) io.stderr('\n');
  io.stdout(o.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary, { qos: o.qos, endpoint: `${plan.host}:${plan.port}` })}\n`);
  context.setExitCode(summary.failed > 0 || summary.connectFailures > 0 ? 1 : 0);
}

function readPayloadTemplate(file: string | undefined): MessageTemplate {
  let text = DEFAULT_TEMPLATE;
  if (file !== undefined) {
    if (!existsSync(file)) throw new UsageError(`--payload-template ${file} does not exist; give a file with the message template (JSON with {{placeholders}})`);
    text = readFileSync(file, 'utf8').trim();
  }
  let template: MessageTemplate;
  try {
    template = MessageTemplate.parse(text);
    template.validate('device-000001');
  } catch (e) {
    if (e instanceof CliError && file !== undefined) throw new UsageError(`--payload-template ${file}: ${e.message}`);
    throw e;
  }
  return template;
}

/** Against the local runner: the data dir's CA, and the devices from the stack's fleet. */
function localPlan(o: SimulateCommandOptions, note: (line: string) => void): Plan {
  const dataDir = resolve(o.dataDir ?? DEFAULT_DATA_DIR);
  const { host, port } = parseEndpoint(o.endpoint);
  const caPath = join(dataDir, 'ca', 'ca.pem');
  if (!existsSync(caPath)) {
    throw new CliError(`${dataDir} has no local CA (ca/ca.pem): start the runner with this data dir first — \`cdk-iot-pipeline local --app ${o.app} --data-dir ${o.dataDir ?? DEFAULT_DATA_DIR}\` — and give the same --data-dir here`);
  }
  const caPem = readFileSync(caPath, 'utf8');
  let model: LocalModel;
  try {
    model = loadModel({ app: o.app!, stack: o.stack });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const given = parseTemplateParams(o.params);
  if (o.certs !== undefined) {
    if (o.provision !== undefined) throw new UsageError('--certs and --provision exclude each other: the devices either have certificates or onboard themselves');
    return { host, port, caPem, devices: certsFolderDevices(o.certs, o.devices), topicPattern: o.topic ?? defaultTopicPattern(model) };
  }
  if (o.provision !== undefined) {
    const template = selectTemplate(model, o.provision, '--provision');
    const claimDir = join(dataDir, 'simulate', 'claim');
    const claim = issueClaimCertificate(dataDir, template.name, claimDir);
    note(`devices onboard themselves with template ${template.name} and the claim certificate ${claim.certPath}`);
    const required = templateRequiredParameters(template);
    return claimPlan({
      host,
      port,
      caPem,
      count: o.devices,
      claimCertPem: readFileSync(claim.certPath, 'utf8'),
      claimKeyPem: readFileSync(claim.keyPath, 'utf8'),
      template: template.name,
      parameters: (index) => deviceParameters(o.serial, index, given, required),
    }, o.topic ?? defaultTopicPattern(model, template));
  }
  const template: ProvisioningTemplateModel = selectTemplate(model, o.fleet, '--fleet');
  note(`issuing device certificates under the fleet policy of template ${template.name} (reused by later runs)`);
  const devices = localFleetDevices({
    model,
    dataDir,
    template,
    count: o.devices,
    serialPattern: o.serial,
    params: given,
    onIssued: (n) => { if (n % 100 === 0) note(`${n} device certificates issued`); },
  });
  return { host, port, caPem, devices, topicPattern: o.topic ?? defaultTopicPattern(model, template) };
}

/** Against AWS IoT Core (or any broker): certificates from a folder, or fleet provisioning with the claim files. */
function awsPlan(o: SimulateCommandOptions): Plan {
  const { host, port } = parseEndpoint(o.endpoint);
  if (o.topic === undefined) throw new UsageError('--topic is needed without --app: the topic pattern the devices publish to, e.g. --topic \'iot-test-topic/{{clientId}}\'');
  const caPem = o.ca === undefined ? undefined : readPemFile(o.ca, '--ca');
  if (o.fleet !== undefined) throw new UsageError('--fleet is for the local runner (--app): against AWS, give --certs DIR or --provision with --claim-cert/--claim-key');
  if (o.certs !== undefined) {
    if (o.provision !== undefined) throw new UsageError('--certs and --provision exclude each other: the devices either have certificates or onboard themselves');
    return { host, port, caPem, devices: certsFolderDevices(o.certs, o.devices), topicPattern: o.topic };
  }
  if (o.provision === undefined) throw new UsageError('without --app, give the devices: --certs DIR (<thing>.cert.pem + <thing>.key.pem pairs), or --provision <template> with --claim-cert and --claim-key');
  if (o.claimCert === undefined || o.claimKey === undefined) {
    throw new UsageError('--provision against AWS needs the claim certificate: --claim-cert <file> and --claim-key <file> (the FleetClaimSecretArnOutput secret of a generated claim holds them)');
  }
  const given = parseTemplateParams(o.params);
  return claimPlan({
    host,
    port,
    caPem,
    count: o.devices,
    claimCertPem: readPemFile(o.claimCert, '--claim-cert'),
    claimKeyPem: readPemFile(o.claimKey, '--claim-key'),
    template: o.provision,
    parameters: (index) => deviceParameters(o.serial, index, given),
  }, o.topic);
}

/** A plan whose devices onboard themselves by fleet provisioning with the claim certificate, on the broker they publish to. */
function claimPlan(o: ClaimProvisionerOptions & { readonly count: number }, topicPattern: string): Plan {
  const { count, ...claim } = o;
  return { host: o.host, port: o.port, caPem: o.caPem, devices: { count, provision: claimProvisioner(claim) }, topicPattern };
}

function readPemFile(path: string, option: string): string {
  if (!existsSync(path)) throw new UsageError(`${option} ${path} does not exist`);
  return readFileSync(path, 'utf8');
}

/** Fails early, with what to do, when nothing listens at the endpoint (the runner is not running). */
async function checkReachable(host: string, port: number, local: boolean, o: SimulateCommandOptions): Promise<void> {
  const problem = await new Promise<string | undefined>((done) => {
    const socket = netConnect({ host, port });
    const timer = setTimeout(() => { socket.destroy(); done('ETIMEDOUT'); }, 10_000);
    socket.once('connect', () => { clearTimeout(timer); socket.destroy(); done(undefined); });
    socket.once('error', (e: NodeJS.ErrnoException) => { clearTimeout(timer); done(e.code ?? e.message); });
  });
  if (problem === undefined) return;
  if (local) {
    throw new CliError(`nothing answers at ${host}:${port} (${problem}): is the local runner running? Start it with \`cdk-iot-pipeline local --app ${o.app} --data-dir ${o.dataDir ?? DEFAULT_DATA_DIR}\` and give the address it prints as --endpoint`);
  }
  throw new CliError(`cannot reach ${host}:${port} (${problem}): check --endpoint (AWS IoT: \`aws iot describe-endpoint --endpoint-type iot:Data-ATS\`, port 8883 or 443) and that the network lets the port out`);
}

export { DEFAULT_SERIAL_PATTERN };
