export * from './errors.js';
export * from './roles.js';
export * from './operation.js';
export * from './tags.js';
export * from './router-types.js';
export * from './client.js';
export * from './schemas/common.js';
export * from './schemas/project.js';
export * from './schemas/icon.js';
export * from './schemas/auth.js';
export * from './schemas/environment.js';
export * from './schemas/variable.js';
export * from './schemas/member.js';
export * from './schemas/audit.js';
export * from './schemas/invite.js';
export * from './schemas/users.js';
export * from './schemas/webhook.js';
export { identityContract } from './services/identity.js';
export { projectsContract } from './services/projects.js';
export { environmentsContract } from './services/environments.js';

import { environmentsContract } from './services/environments.js';
import { identityContract } from './services/identity.js';
import { projectsContract } from './services/projects.js';

/** Every service contract; the gateway publishes the REST operations of all of them. */
export const contracts = [identityContract, projectsContract, environmentsContract] as const;
export * from './events.js';
export * from './credentials.js';
export * from './bus-permissions.js';
