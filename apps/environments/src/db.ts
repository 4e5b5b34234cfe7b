import { initOrm } from '@atrium/service-runtime';
import { migrations } from '../migrations/index.js';

/** environments' tables live in their own PostgreSQL schema. */
export const ENVIRONMENTS_SCHEMA = 'environments';

export function initEnvironmentsOrm(clientUrl: string, poolMax?: number) {
  return initOrm({ clientUrl, schema: ENVIRONMENTS_SCHEMA, entities: [], migrations, poolMax });
}
