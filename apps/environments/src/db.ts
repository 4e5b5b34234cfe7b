import { initOrm } from '@atrium/service-runtime';
import type { ServiceOrmOptions } from '@atrium/service-runtime';
import { migrations } from '../migrations/index.js';
import { entities } from './entities/index.js';
import { ENVIRONMENTS_SCHEMA } from './schema.js';

export { ENVIRONMENTS_SCHEMA };

export function initEnvironmentsOrm(clientUrl: string, options: ServiceOrmOptions = {}) {
  return initOrm({ clientUrl, schema: ENVIRONMENTS_SCHEMA, entities, migrations, ...options });
}
