import { initOrm } from '@atrium/service-runtime';
import type { OrmOptions } from '@atrium/service-runtime';
import { migrations } from '../migrations/index.js';
import { entities } from './entities/index.js';
import { ENVIRONMENTS_SCHEMA } from './schema.js';

export { ENVIRONMENTS_SCHEMA };

export function initEnvironmentsOrm(clientUrl: string, options: Pick<OrmOptions, 'poolMax' | 'acquireTimeoutMs' | 'onQuery'> = {}) {
  return initOrm({ clientUrl, schema: ENVIRONMENTS_SCHEMA, entities, migrations, ...options });
}
