import { initOrm } from '@atrium/service-runtime';
import type { OrmOptions } from '@atrium/service-runtime';
import { migrations } from '../migrations/index.js';

/** environments' tables live in their own PostgreSQL schema. */
export const ENVIRONMENTS_SCHEMA = 'environments';

export function initEnvironmentsOrm(clientUrl: string, options: Pick<OrmOptions, 'poolMax' | 'onQuery'> = {}) {
  return initOrm({ clientUrl, schema: ENVIRONMENTS_SCHEMA, entities: [], migrations, ...options });
}
