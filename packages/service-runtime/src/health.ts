import type { ServiceContext } from './context.js';

/** Every service's `health.check`: answers only when its database does. */
export const healthCheck = (service: string) => async (_input: unknown, { em }: ServiceContext) => {
  await em.getConnection().execute('select 1');
  return { service, database: 'ok' as const };
};
