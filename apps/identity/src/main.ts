import {
  createJetStreamSink,
  databasePool,
  ensureEventStream,
  eventStreamSettings,
  jetStreamEventSource,
  runServiceProcess,
} from '@atrium/service-runtime';
import { loadIdentityConfig, mailSettings } from './env.js';
import { smtpTransport } from './mail/smtp.js';
import { startIdentityService } from './service.js';

await runServiceProcess('identity', loadIdentityConfig, async ({ config, nc, broadcast, log, bus }) => {
  const stream = eventStreamSettings(config);
  const mail = mailSettings(config);
  await ensureEventStream(nc, stream);
  return startIdentityService({
    databaseUrl: config.DATABASE_URL,
    pool: databasePool(config),
    sessionTtlDays: config.SESSION_TTL_DAYS,
    inviteTtlDays: config.INVITE_TTL_DAYS,
    registration: config.AUTH_REGISTRATION,
    publicUrl: config.PUBLIC_URL,
    broadcast,
    eventSink: createJetStreamSink(nc, stream),
    events: jetStreamEventSource(nc, stream, log),
    log,
    bus,
    mail: mail && { ...mail, transport: smtpTransport(mail.smtpUrl) },
  });
});
