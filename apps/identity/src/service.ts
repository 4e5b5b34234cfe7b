import type { Broadcast } from '@atrium/nats-trpc';
import { SERVICE_SUBSCRIPTIONS } from '@atrium/contract';
import { OutboxRelay, deadLetterCounts, eachEvent, serviceEndpoint, startEventConsumer } from '@atrium/service-runtime';
import type { EventSink, EventSource, Logger, PoolOptions, ServiceInstance, ServiceBus } from '@atrium/service-runtime';
import { IDENTITY_SCHEMA, initIdentityOrm } from './db.js';
import { onProjectDeleted } from './invites/project-events.js';
import { startInviteMail } from './mail/start-mail.js';
import type { IdentityMailOptions } from './mail/start-mail.js';
import { createIdentityRouter } from './router.js';
import { createPasswords } from './security/passwords.js';
import type { ScryptParams } from './security/passwords.js';

export interface IdentityServiceOptions {
  databaseUrl: string;
  /** The connection pool's size and wait (`databasePool` of the configuration). */
  pool?: PoolOptions;
  sessionTtlDays: number;
  /** How long an invite can be accepted (7 days unless configured). */
  inviteTtlDays?: number;
  /** Who may register (AUTH_REGISTRATION): everyone, or only invited e-mails. */
  registration?: 'open' | 'invite-only';
  /** Public base URL of the API, for invites' accept links (relative links without it). */
  publicUrl?: string;
  broadcast: Broadcast;
  /** Where the outbox relay publishes identity's events (invites). */
  eventSink: EventSink;
  /** Where projects' events arrive from (a deleted project's invites go). */
  events: EventSource;
  log: Logger;
  /** Its keys (who may call it, how it signs its own calls) and its transport to other services. */
  bus: ServiceBus;
  /** Password hashing cost; the standard one unless a test system asks for TEST_ONLY_SCRYPT. */
  passwordHashing?: ScryptParams;
  /** Invite mails through SMTP (SMTP_URL); without it invites' links are logged. */
  mail?: IdentityMailOptions;
}

/** Connects the database, runs migrations and builds the router: everything but the transport. */
export async function startIdentityService(options: IdentityServiceOptions): Promise<ServiceInstance> {
  const orm = await initIdentityOrm(options.databaseUrl, { ...options.pool, log: options.log, metrics: options.bus.metrics });
  const inviteMail = startInviteMail(orm, IDENTITY_SCHEMA, options.mail, { log: options.log, metrics: options.bus.metrics });
  const router = createIdentityRouter({
    broadcast: options.broadcast,
    sessionTtlMs: options.sessionTtlDays * 24 * 60 * 60 * 1000,
    signer: options.bus.keys.signer,
    passwords: createPasswords(options.passwordHashing),
    inviteTtlMs: (options.inviteTtlDays ?? 7) * 24 * 60 * 60 * 1000,
    registration: options.registration ?? 'open',
    acceptUrl: (token) => `${options.publicUrl ?? ''}/api/v1/invites/${token}/accept`,
    inviteDelivery: inviteMail.delivery,
  });
  const relay = new OutboxRelay(orm, options.eventSink, options.log, { schema: IDENTITY_SCHEMA });
  relay.start();
  options.bus.metrics?.observeDeadLetters('identity', () => deadLetterCounts(orm.em.fork(), IDENTITY_SCHEMA));
  const cascade = await startEventConsumer(options.events, {
    service: 'identity',
    purpose: 'cascade',
    types: SERVICE_SUBSCRIPTIONS.identity.consumers.cascade,
    handle: eachEvent(onProjectDeleted),
    orm,
    schema: IDENTITY_SCHEMA,
    log: options.log,
    metrics: options.bus.metrics,
  }).catch(async (error: unknown) => {
    await inviteMail.stop();
    await relay.stop();
    await orm.close();
    throw error;
  });
  return {
    name: 'identity',
    endpoint: serviceEndpoint({ name: 'identity', router, orm, log: options.log, bus: options.bus, relay, broadcast: options.broadcast }),
    async close() {
      await cascade.stop();
      await inviteMail.stop();
      await relay.stop();
      await orm.close();
    },
  };
}
