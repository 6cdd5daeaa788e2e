/**
 * The demo: the synthesized example app run locally, end to end, on this machine.
 *
 *   npx projen synth:example            # examples/app/cdk.out
 *   npx projen bundle:cli               # assets/cli/index.js (optional: without it the demo runs in-process)
 *   npx ts-node --project tsconfig.dev.json lambda/local/demo.ts [--app examples/app/cdk.out] [--count 20]
 *
 * Steps: start `cdk-iot-pipeline local` (free port, buffer interval shortened to 2 s), issue a device certificate
 * with `local certs`, publish with `cdk-iot-pipeline publish` over mutual TLS, wait one buffer interval, print
 * the raw and parsed objects and a parsed sample, stop the runner with SIGTERM. When the CLI bundle has no
 * `local` command yet, the runner and the certificate run in-process; without the bundle, mqtt.js publishes.
 */
import { ChildProcess, execFile, spawn, spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join, relative, resolve } from 'path';
import { gunzipSync } from 'zlib';
import { issueDeviceCertificate, IssuedCertificate } from '../../local/iot/certs';
import { LocalRunner } from '../../local/runner';

const REPO = resolve(__dirname, '..', '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

function say(line: string): void {
  process.stdout.write(`demo: ${line}\n`);
}

const commands = new Map<string, string[]>();

/** Whether the CLI bundle lists the command in its help (an unknown command with --help prints the main help). */
function cliHas(cli: string, command: string): boolean {
  if (!existsSync(cli)) return false;
  if (!commands.has(cli)) {
    const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8', timeout: 30000 }).stdout ?? '';
    const section = help.split(/^Commands:$/m)[1] ?? '';
    commands.set(cli, [...section.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]));
  }
  return commands.get(cli)!.includes(command);
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!name.endsWith('.tmp')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

function lines(path: string): string[] {
  const data = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(data) : data).toString('utf8').split('\n').filter((l) => l !== '');
}

interface Running {
  readonly port: number;
  stop(): Promise<void>;
}

async function startRunner(cli: string, app: string, dataDir: string, interval: string): Promise<Running> {
  if (cliHas(cli, 'local')) {
    const child: ChildProcess = spawn(process.execPath, [cli, 'local', '--app', app, '--data-dir', dataDir, '--port', '0', '--buffer-interval', interval], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const ready = await new Promise<string>((res, rej) => {
      let out = '';
      const timer = setTimeout(() => rej(new Error('the runner printed no readiness line within 60 s')), 60000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('ready '));
        if (line) {
          clearTimeout(timer);
          res(line);
        }
      });
      child.once('exit', (code) => rej(new Error(`the runner exited with ${code}`)));
    });
    say(`cdk-iot-pipeline local: ${ready}`);
    return {
      port: Number(/:(\d+) /.exec(ready)![1]),
      stop: async () => {
        const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
        child.kill('SIGTERM');
        say(`runner stopped (SIGTERM) with exit code ${await exited}`);
      },
    };
  }
  const runner = await LocalRunner.start({ app, dataDir, port: 0, bufferIntervalMs: parseDurationMs(interval) });
  say(`runner (in-process; the CLI bundle has no \`local\` command yet): ${runner.readyLine}`);
  return { port: runner.port, stop: async () => runner.stop() };
}

function parseDurationMs(text: string): number {
  const m = /^(\d+)(ms|s)?$/.exec(text);
  if (!m) throw new Error(`--interval ${text}: write e.g. 2s`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : 1000);
}

function issue(cli: string, dataDir: string, thing: string, out: string): IssuedCertificate {
  if (cliHas(cli, 'local')) {
    const r = spawnSync(process.execPath, [cli, 'local', 'certs', '--data-dir', dataDir, '--thing', thing, '--out', out], { encoding: 'utf8', timeout: 60000 });
    if (r.status !== 0) throw new Error(`local certs failed: ${r.stderr}`);
    return { thing, caPath: join(out, 'ca.pem'), certPath: join(out, `${thing}.cert.pem`), keyPath: join(out, `${thing}.key.pem`), fingerprint: '' };
  }
  return issueDeviceCertificate(dataDir, thing, out);
}

async function publish(cli: string, port: number, cert: IssuedCertificate, topic: string, count: number): Promise<void> {
  if (cliHas(cli, 'publish')) {
    const args = [cli, 'publish', '--endpoint', `127.0.0.1:${port}`, '--cert', cert.certPath, '--key', cert.keyPath, '--ca', cert.caPath,
      '--client-id', cert.thing, '--topic', topic, '--count', String(count), '--rate', '100', '--quiet'];
    say(`cdk-iot-pipeline ${args.slice(1).map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`);
    // Asynchronously: the runner may be in this process and must keep answering.
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((res) => {
      execFile(process.execPath, args, { encoding: 'utf8', timeout: 120000 }, (err, stdout, stderr) => {
        res({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
    process.stdout.write(r.stdout.split('\n').map((l) => (l ? `  ${l}` : l)).join('\n'));
    if (r.status !== 0) throw new Error(`publish failed (exit ${r.status}): ${r.stderr}`);
    return;
  }
  say('the CLI bundle has no `publish` command: publishing with mqtt.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mqtt = require('mqtt') as typeof import('mqtt');
  const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
    clientId: cert.thing, key: readFileSync(cert.keyPath), cert: readFileSync(cert.certPath), ca: readFileSync(cert.caPath), reconnectPeriod: 0,
  });
  for (let seq = 1; seq <= count; seq++) {
    await client.publishAsync(topic, JSON.stringify({ seq, ts: Date.now(), temp: Math.round(Math.random() * 1000) / 10 }), { qos: 1 });
  }
  await client.endAsync();
}

async function main(): Promise<void> {
  const app = resolve(arg('app', join(REPO, 'examples', 'app', 'cdk.out')));
  const cli = resolve(arg('cli', join(REPO, 'assets', 'cli', 'index.js')));
  const count = Number(arg('count', '20'));
  const interval = arg('interval', '2s');
  const dataDir = resolve(arg('data-dir', mkdtempSync(join(tmpdir(), 'cdk-iot-local-demo-'))));
  if (!existsSync(join(app, 'manifest.json'))) {
    throw new Error(`${app} has no manifest.json: run \`npx projen synth:example\` first`);
  }
  // The write-up's pipeline (the example app's first stack) is the one the demo publishes to.
  const stackName = arg('stack', 'IotTelemetryExample');
  const templateFile = existsSync(join(app, `${stackName}.template.json`))
    ? `${stackName}.template.json`
    : readdirSync(app).sort().find((n) => n.endsWith('.template.json'))!;
  const template = JSON.parse(readFileSync(join(app, templateFile), 'utf8'));
  const resources = Object.values(template.Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>);
  const thing = String(resources.find((r) => r.Type === 'AWS::IoT::Thing')!.Properties!.ThingName);
  const outputs = template.Outputs as Record<string, { Value: unknown }>;
  const baseTopic = String(Object.entries(outputs).find(([k]) => k.includes('TopicOutput') && !k.includes('Publish'))?.[1].Value ?? 'iot-test-topic');
  say(`app ${relative(process.cwd(), app) || app}; data dir ${dataDir}`);

  const runner = await startRunner(cli, app, dataDir, interval);
  try {
    const cert = issue(cli, dataDir, thing, join(dataDir, 'device'));
    say(`issued ${relative(dataDir, cert.certPath)} and ${relative(dataDir, cert.keyPath)} for thing ${thing} (CA ${relative(dataDir, cert.caPath)})`);
    await publish(cli, runner.port, cert, `${baseTopic}/demo-device`, count);
    say(`waiting one buffer interval (${interval}) for Firehose to deliver…`);
    const s3 = join(dataDir, 's3');
    const deadline = Date.now() + parseDurationMs(interval) * 3 + 30000;
    while (Date.now() < deadline) {
      const all = files(s3);
      const rawRecords = all.filter((f) => f.includes(`${join('/', 'raw', '')}`)).reduce((n, f) => n + lines(f).length, 0);
      const parsedRecords = all.filter((f) => f.includes(`${join('/', 'parsed', '')}`)).reduce((n, f) => n + lines(f).length, 0);
      if (rawRecords >= count && parsedRecords >= count) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await runner.stop();
  }

  const all = files(join(dataDir, 's3'));
  let parsedSample: string | undefined;
  for (const [title, marker] of [['raw objects (source records, GZIP)', '/raw/'], ['parsed objects (parser output, GZIP)', '/parsed/'], ['rule errors / processing failures', '/errors/']]) {
    const objects = all.filter((f) => f.includes(marker) || (marker === '/errors/' && f.includes('/iot-rule-errors/')));
    if (objects.length === 0 && marker === '/errors/') continue;
    process.stdout.write(`\n${title}:\n`);
    for (const f of objects) process.stdout.write(`  ${relative(join(dataDir, 's3'), f)}   ${lines(f).length} records\n`);
    if (marker === '/parsed/' && objects.length > 0) parsedSample = lines(objects[0])[0];
  }
  if (!parsedSample) throw new Error('no parsed object was delivered');
  process.stdout.write(`\nparsed sample:\n  ${JSON.stringify(JSON.parse(parsedSample), null, 2).split('\n').join('\n  ')}\n`);
}

main().catch((e) => {
  process.stderr.write(`demo failed: ${(e as Error).message}\n`);
  process.exit(1);
});
