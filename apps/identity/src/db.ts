import { initOrm } from '@atrium/service-runtime';
import type { ServiceOrmOptions } from '@atrium/service-runtime';
import { entities } from './entities/index.js';
import { migrations } from '../migrations/index.js';

/** identity's tables live in their own PostgreSQL schema. */
export const IDENTITY_SCHEMA = 'identity';

export function initIdentityOrm(clientUrl: string, options: ServiceOrmOptions = {}) {
  return initOrm({ clientUrl, schema: IDENTITY_SCHEMA, entities, migrations, ...options });
}
