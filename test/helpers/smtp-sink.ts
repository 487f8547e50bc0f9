// A real SMTP server for tests (npm smtp-server, the nodemailer authors' package) on 127.0.0.1, storing every
// message parsed by mailparser. It can require AUTH, offer STARTTLS or implicit TLS with a throwaway CA, go
// down and come back on the same port (an outage), and there is a silent listener for timeout tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  /** AUTH user of the session, when it authenticated. */
  readonly user: string | undefined;
  /** True when the session ran over TLS (STARTTLS or implicit). */
  readonly secure: boolean;
  readonly mail: ParsedMail;
}

export interface SmtpSinkOptions {
  /** Require AUTH with exactly these credentials. */
  readonly auth?: { readonly user: string; readonly pass: string };
  /** starttls: offer STARTTLS; tls: implicit TLS; none: plain only. */
  readonly tls?: 'starttls' | 'tls' | 'none';
  /** Certificate and key (PEM) for TLS modes; see makeTestCa(). */
  readonly cert?: { readonly cert: string; readonly key: string };
}

export interface SmtpSink {
  readonly port: number;
  readonly messages: ReceivedMail[];
  /** Failed AUTH attempts (user names only). */
  readonly authFailures: string[];
  /** Resolves when at least `n` messages arrived, or rejects after `ms`. */
  waitFor(n: number, ms?: number): Promise<ReceivedMail[]>;
  /** Stop listening (connections are refused) until start(). */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export const startSmtpSink = async (opts: SmtpSinkOptions = {}): Promise<SmtpSink> => {
  const messages: ReceivedMail[] = [];
  const authFailures: string[] = [];
  const mode = opts.tls ?? 'none';
  let server: SMTPServer | undefined;
  let port = 0;

  const make = (): SMTPServer =>
    new SMTPServer({
      secure: mode === 'tls',
      ...(mode !== 'none' && opts.cert ? { key: opts.cert.key, cert: opts.cert.cert } : {}),
      disabledCommands: mode === 'none' ? ['STARTTLS'] : [],
      authOptional: !opts.auth,
      allowInsecureAuth: true,
      logger: false,
      disableReverseLookup: true,
      onAuth(auth, _session, cb) {
        if (!opts.auth || (auth.username === opts.auth.user && auth.password === opts.auth.pass)) return cb(null, { user: auth.username });
        authFailures.push(auth.username ?? '');
        return cb(new Error('Invalid username or password'));
      },
      onData(stream, session, cb) {
        simpleParser(stream).then(
          (mail) => {
            messages.push({
              mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              rcptTo: session.envelope.rcptTo.map((r) => r.address),
              user: session.user,
              secure: session.secure,
              mail,
            });
            cb();
          },
          (e: Error) => cb(e),
        );
      },
    });

  const start = async (): Promise<void> => {
    server = make();
    const s = server;
    // SMTPServer never emits 'listening' itself: only the listen() callback tells.
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.server.address() as { port: number }).port;
  };
  const stop = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await start();

  return {
    get port() {
      return port;
    },
    messages,
    authFailures,
    async waitFor(n, ms = 5000) {
      const until = Date.now() + ms;
      while (messages.length < n) {
        if (Date.now() > until) throw new Error(`expected ${n} messages, got ${messages.length} within ${ms}ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return messages;
    },
    stop,
    start,
    close: stop,
  };
};

/** A listener that accepts connections and never says a word: an SMTP server that hangs. */
export const startSilentListener = async (): Promise<{ port: number; close(): Promise<void> }> => {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
};

export interface TestCa {
  /** Directory holding ca.pem (the file to configure as ca_file). */
  readonly dir: string;
  readonly caFile: string;
  /** Server certificate for 127.0.0.1 and localhost, signed by the CA. */
  readonly server: { readonly cert: string; readonly key: string };
  remove(): void;
}

/** A throwaway CA and a server certificate for 127.0.0.1, made with the openssl CLI. */
export const makeTestCa = (): TestCa => {
  const dir = mkdtempSync(join(tmpdir(), 'zfo-ca-'));
  const ossl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=zfailover test CA');
  ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1,DNS:localhost\\n" > ext.cnf'], { cwd: dir });
  ossl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    server: { cert: readFileSync(join(dir, 'server.pem'), 'utf8'), key: readFileSync(join(dir, 'server.key'), 'utf8') },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
};
