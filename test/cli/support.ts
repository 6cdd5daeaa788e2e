/**
 * Helpers for the CLI tests: run the CLI in-process, start and stop local servers with bounded waits.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { existsSync, writeFileSync } from 'fs';
import { createServer, Socket } from 'net';
import { join } from 'path';
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

/** Certificates for a local TLS broker, made with openssl. */
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
export function makePki(dir: string, openssl = 'openssl'): Pki {
  const ssl = (...args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: 'pipe', timeout: 30_000 });
  const ca = (name: string, cn: string) => ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`,
    '-days', '2', '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const leaf = (name: string, cn: string, caName: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial',
      '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  };
  ca('ca', 'Test CA');
  ca('rogue-ca', 'Rogue CA');
  leaf('server', 'localhost', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  const clientExt = 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n';
  leaf('client', 'device-1', 'ca', clientExt);
  leaf('sub', 'subscriber', 'ca', clientExt);
  leaf('rogue', 'device-1', 'rogue-ca', clientExt);
  const p = (f: string) => join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    subCert: p('sub.crt'),
    subKey: p('sub.key'),
    rogueCert: p('rogue.crt'),
    rogueKey: p('rogue.key'),
  };
}
