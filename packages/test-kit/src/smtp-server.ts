import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import type { ParsedMail } from 'mailparser';

export interface ReceivedMail {
  /** The envelope's recipients (RCPT TO), as the server saw them. */
  envelopeTo: string[];
  parsed: ParsedMail;
}

export interface TestSmtpServer {
  port: number;
  url: string;
  /** Everything accepted so far, in order. */
  received: ReceivedMail[];
  /** Resolves once `count` mails have been accepted in all (not a sleep: woken by each arrival). */
  waitForMails(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** While set, every recipient is refused with this SMTP reply (a 451 "try again later", say). */
  refuseWith(reply: { code: number; message: string } | undefined): void;
  /** Recipients refused so far (attempts the client made while refusing). */
  refusals: number;
  stop(): Promise<void>;
}

/**
 * A real SMTP server (smtp-server, the server side of nodemailer's project) on a loopback port,
 * keeping every message it accepts parsed (mailparser): tests read what a mail client would.
 * No TLS and no authentication, which SMTP clients accept on a plain `smtp://` URL.
 */
export async function startTestSmtpServer(options: { port?: number } = {}): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  let refusal: { code: number; message: string } | undefined;
  let refusals = 0;
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onRcptTo(_address, _session, callback) {
      if (!refusal) return callback();
      refusals++;
      callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          received.push({ envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address), parsed });
          for (const wake of waiters) wake();
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    get refusals() {
      return refusals;
    },
    refuseWith(reply) {
      refusal = reply;
    },
    waitForMails(count, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(received.slice(0, count));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} mails within ${timeoutMs} ms, received ${received.length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
