import { createRequire } from 'node:module';

// nodemailer (~40 modules) is loaded when an SMTP transport is made, not at every start:
// without SMTP_URL nothing sends mail. It is CommonJS, so it loads synchronously.
const require = createRequire(import.meta.url);

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
}

/** Where the sender hands mails over: an SMTP server (nodemailer) in production, anything in a test. */
export interface MailTransport {
  /** Resolves once the server accepted the mail; rejects with its refusal or the connection's error. */
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * SMTP through nodemailer from `SMTP_URL` (`smtp://user:pass@host:587`, `smtps://…:465`; its
 * query string may set any nodemailer option). One connection per mail: invites are rare, and a
 * pooled connection would only outlive an SMTP server's restart. Timeouts far below
 * nodemailer's defaults (2 and 10 minutes), so a silent server fails an attempt well within the
 * sender's lease on the mail.
 */
export function smtpTransport(url: string): MailTransport {
  const { createTransport } = require('nodemailer') as typeof import('nodemailer');
  const transporter = createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
  return {
    async send(mail) {
      await transporter.sendMail(mail);
    },
    close: () => transporter.close(),
  };
}
