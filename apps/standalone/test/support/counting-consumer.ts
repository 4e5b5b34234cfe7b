/**
 * A consumer process for the crash tests: the service runtime's event consumer on JetStream with
 * a handler that is deliberately not idempotent (it increments a counter) and then waits on an
 * advisory lock the test holds — so the test can kill the process in the middle of a handler.
 * Settings from the environment: DATABASE_URL, NATS_URL, NATS_USER, NATS_PASSWORD, EVENTS_STREAM, EVENTS_NAMESPACE.
 */
import {
  eachEvent,
  connectNats,
  createLogger,
  DeadLetter,
  initOrm,
  jetStreamEventSource,
  ProcessedEvent,
  startEventConsumer,
} from '@atrium/service-runtime';
import { COUNTING_SCHEMA, HANDLER_LOCK } from './crash-constants.js';

const env = process.env as Record<string, string>;
const log = createLogger('crash-consumer', 'info');
const orm = await initOrm({
  clientUrl: env.DATABASE_URL!,
  schema: COUNTING_SCHEMA,
  entities: [ProcessedEvent, DeadLetter],
  migrations: [],
});
const nc = await connectNats(env.NATS_URL!, 'crash-consumer', { NATS_USER: env.NATS_USER, NATS_PASSWORD: env.NATS_PASSWORD });
await startEventConsumer(jetStreamEventSource(nc, { stream: env.EVENTS_STREAM!, namespace: env.EVENTS_NAMESPACE! }, log), {
  service: 'crashtest',
  purpose: 'counting',
  types: ['projects.v1.created'],
  orm,
  schema: COUNTING_SCHEMA,
  log,
  handle: eachEvent(async (event, em) => {
    // Only the projects the test counts (the stream holds other tests' events too).
    const counted = await em.execute(`update "${COUNTING_SCHEMA}".counters set n = n + 1 where project_id = ? returning n`, [
      event.data.project_id,
    ]);
    if (counted.length === 0) return;
    console.log(`handling ${event.id}`);
    await em.execute('select pg_advisory_xact_lock(?)', [HANDLER_LOCK]);
  }),
});
console.log('consumer ready');
