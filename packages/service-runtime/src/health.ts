import type { ServiceContext } from './context.js';
import { deadLetterCounts } from './events/consumer.entities.js';

/**
 * Every service's `health.check`: answers only when its database does. A service consuming
 * events (`eventsSchema`: where its consumer tables are) also reports its dead letters, which
 * the gateway's /readyz shows in its details.
 */
export const healthCheck =
  (service: string, options: { eventsSchema?: string } = {}) =>
  async (_input: unknown, { em }: ServiceContext) => {
    await em.getConnection().execute('select 1');
    if (!options.eventsSchema) return { service, database: 'ok' as const };
    return { service, database: 'ok' as const, dead_letters: await deadLetterCounts(em, options.eventsSchema) };
  };
