/**
 * Helpers for the CLI tests: run the CLI in-process, start and stop local servers with bounded waits.
 */
import { ChildProcess, spawn } from 'child_process';
import { generateKeyPairSync } from 'crypto';
import { existsSync, writeFileSync } from 'fs';
import { createServer, Socket } from 'net';
import { join } from 'path';
import * as forge from 'node-forge';
import { run } from '../../cli';

/** Runs the CLI in-process and captures what it writes. */
export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(args, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
  return { code, out, err };
}

/** A free TCP port on 127.0.0.1 (bound and released; good enough for a test server started right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` every `intervalMs` until it returns true, or fails after `timeoutMs` with `what`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Resolves when something accepts TCP connections on 127.0.0.1:port. */
export function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => done(true));
  });
}

/** A child process with its output kept for error messages. */
export interface Server {
  readonly child: ChildProcess;
  output(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

/** Starts a server process; `stop()` sends SIGTERM, then SIGKILL after 5 s. */
export function startServer(command: string, args: string[], env?: NodeJS.ProcessEnv): Server {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  let output = '';
  let exited = false;
  const keep = (b: Buffer) => { output = (output + b.toString()).slice(-20_000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  child.once('error', (e) => { output += `\n${e.message}`; exited = true; });
  return {
    child,
    output: () => output,
    exited: () => exited,
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** The first of the paths that exists, or an Error saying how to install the tool. */
export function findExecutable(name: string, candidates: Array<string | undefined>, install: string): string {
  const found = candidates.find((c): c is string => c !== undefined && c !== '' && existsSync(c));
  if (found) return found;
  throw new Error(`${name} not found (looked at: ${candidates.filter(Boolean).join(', ')}). ${install}`);
}

/** Certificates for a local TLS broker: keys from Node's crypto, certificates signed with node-forge (no openssl needed). */
export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Client certificate (CN=device-1) issued by the CA. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** Subscriber certificate (CN=subscriber) issued by the CA. */
  readonly subCert: string;
  readonly subKey: string;
  /** Client certificate (CN=device-1) issued by another CA the broker does not trust. */
  readonly rogueCert: string;
  readonly rogueKey: string;
}

/** Creates a CA, a server certificate for 127.0.0.1/localhost, client certificates and a rogue client certificate. */
export function makePki(dir: string): Pki {
  const write = (name: string, pem: string) => {
    writeFileSync(join(dir, name), pem);
    return join(dir, name);
  };
  const keyPair = () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const key = forge.pki.privateKeyFromPem(pem);
    return { pem, key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
  };
  let serial = 1;
  type Issuer = { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey };
  const certificate = (cn: string, publicKey: forge.pki.PublicKey, extensions: object[], issuer?: Issuer) => {
    const cert = forge.pki.createCertificate();
    cert.publicKey = publicKey;
    cert.serialNumber = (serial++).toString(16).padStart(2, '0');
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 2 * 86_400_000);
    cert.setSubject([{ name: 'commonName', value: cn }]);
    cert.setIssuer(issuer ? issuer.cert.subject.attributes : [{ name: 'commonName', value: cn }]);
    cert.setExtensions(extensions);
    return cert;
  };
  const ca = (name: string, cn: string) => {
    const pair = keyPair();
    const cert = certificate(cn, pair.publicKey, [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ]);
    cert.sign(pair.key, forge.md.sha256.create());
    write(`${name}.key`, pair.pem);
    return { cert, key: pair.key, certPath: write(`${name}.crt`, forge.pki.certificateToPem(cert)) };
  };
  const leaf = (name: string, cn: string, issuer: Issuer, server: boolean) => {
    const pair = keyPair();
    const cert = certificate(cn, pair.publicKey, [
      { name: 'basicConstraints', cA: false },
      { name: 'extKeyUsage', serverAuth: server, clientAuth: !server },
      ...(server ? [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }] : []),
    ], issuer);
    cert.sign(issuer.key, forge.md.sha256.create());
    return { certPath: write(`${name}.crt`, forge.pki.certificateToPem(cert)), keyPath: write(`${name}.key`, pair.pem) };
  };
  const trusted = ca('ca', 'Test CA');
  const rogueCa = ca('rogue-ca', 'Rogue CA');
  const server = leaf('server', 'localhost', trusted, true);
  const client = leaf('client', 'device-1', trusted, false);
  const sub = leaf('sub', 'subscriber', trusted, false);
  const rogue = leaf('rogue', 'device-1', rogueCa, false);
  return {
    dir,
    caCert: trusted.certPath,
    serverCert: server.certPath,
    serverKey: server.keyPath,
    clientCert: client.certPath,
    clientKey: client.keyPath,
    subCert: sub.certPath,
    subKey: sub.keyPath,
    rogueCert: rogue.certPath,
    rogueKey: rogue.keyPath,
  };
}
