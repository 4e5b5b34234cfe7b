import { initOrm } from '@atrium/service-runtime';
import { entities } from './entities/index.js';
import { migrations } from '../migrations/index.js';

/** projects' tables live in their own PostgreSQL schema. */
export const PROJECTS_SCHEMA = 'projects';

export function initProjectsOrm(clientUrl: string, poolMax?: number) {
  return initOrm({ clientUrl, schema: PROJECTS_SCHEMA, entities, migrations, poolMax });
}
