import { initOrm } from '@atrium/service-runtime';
import type { ServiceOrmOptions } from '@atrium/service-runtime';
import { entities } from './entities/index.js';
import { migrations } from '../migrations/index.js';

import { PROJECTS_SCHEMA } from './schema.js';

export { PROJECTS_SCHEMA };

export function initProjectsOrm(clientUrl: string, options: ServiceOrmOptions = {}) {
  return initOrm({ clientUrl, schema: PROJECTS_SCHEMA, entities, migrations, ...options });
}
