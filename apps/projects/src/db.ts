import { initOrm } from '@atrium/service-runtime';
import { entities } from './entities/index.js';
import { migrations } from '../migrations/index.js';

import { PROJECTS_SCHEMA } from './schema.js';

export { PROJECTS_SCHEMA };

export function initProjectsOrm(clientUrl: string, poolMax?: number) {
  return initOrm({ clientUrl, schema: PROJECTS_SCHEMA, entities, migrations, poolMax });
}
