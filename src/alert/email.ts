// Email channel: one SMTP transaction per message through nodemailer (imported only when a mail is sent).
// STARTTLS is required unless `secure` says otherwise; certificates are verified (a private CA via ca_file).
import { readFileSync } from 'node:fs';
import { ConfigError, TransientError } from '../errors.js';
import type { EmailContent } from './format-email.js';
import { readSecret } from './secrets.js';
import type { EmailSettings } from './settings.js';

export interface MailSender {
  /** Sends one message; resolves to the server's final reply. */
  send(content: EmailContent): Promise<string>;
  close(): void;
}

export const describeEmail = (s: EmailSettings): string => `email to ${s.to.join(', ')} via ${s.host}:${s.port} (${s.secure})`;

/**
 * @param ehloName this host's name for EHLO (and in the Message-ID).
 * @param timeoutMs per-phase limit (connect, greeting, each reply); the caller bounds the whole send.
 */
export const createMailSender = async (s: EmailSettings, opts: { ehloName: string; timeoutMs: number }): Promise<MailSender> => {
  // Secrets and the CA are read per delivery, so a rotated password file takes effect without a restart.
  const pass = s.password ? readSecret({ where: 'alerts.email.password', ref: s.password, minLength: 1 }) : null;
  const ca = s.tls.caFile ? readCa(s.tls.caFile) : undefined;
  const nodemailer = (await import('nodemailer')).default;
  const t = Math.max(1, Math.round(opts.timeoutMs));
  const transport = nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.secure === 'tls',
    requireTLS: s.secure === 'starttls',
    ignoreTLS: s.secure === 'none',
    ...(s.user && pass !== null ? { auth: { user: s.user, pass } } : {}),
    name: opts.ehloName,
    connectionTimeout: t,
    greetingTimeout: t,
    socketTimeout: t,
    dnsTimeout: t,
    tls: {
      rejectUnauthorized: s.tls.rejectUnauthorized,
      minVersion: 'TLSv1.2',
      ...(ca ? { ca } : {}),
      ...(s.tls.servername ? { servername: s.tls.servername } : {}),
    },
    logger: false,
    debug: false,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    async send(content) {
      const info = await transport.sendMail({
        from: s.from,
        to: [...s.to],
        subject: content.subject,
        text: content.text,
        headers: { ...content.headers },
      });
      if (info.accepted.length === 0) throw new TransientError(`no recipient accepted: ${String(info.response)}`);
      // Some recipients refused: the others have it, so it counts as delivered (a retry would duplicate).
      const rejected = info.rejected.map(String);
      return `${String(info.response)}${rejected.length > 0 ? ` (refused recipients: ${rejected.join(', ')})` : ''}`;
    },
    close() {
      transport.close();
    },
  };
};

const readCa = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`alerts.email.tls.ca_file: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
};

/** nodemailer's errors as one line without the noise (`Error: ` prefixes, multi-line server replies). */
export const describeMailError = (e: unknown): string => {
  const err = e as { code?: string; responseCode?: number; message?: string };
  const text = (err.message ?? String(e)).replace(/\s+/g, ' ').trim();
  return err.code && !text.includes(err.code) ? `${err.code}: ${text}` : text;
};
