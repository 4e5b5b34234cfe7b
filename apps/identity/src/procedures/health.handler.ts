import type { ServiceContext } from '@atrium/service-runtime';

/** Answers only when the database does. */
export const healthCheck = (service: string) => async (_input: void, { em }: ServiceContext) => {
  await em.getConnection().execute('select 1');
  return { service, database: 'ok' as const };
};
