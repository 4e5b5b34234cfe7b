import { identityContract } from '@atrium/contract';
import { healthCheck, implementService } from '@atrium/service-runtime';
import type { IdentityDeps } from './deps.js';
import { createApiKey, deleteApiKey, listApiKeys } from './procedures/api-keys.handler.js';
import { authenticate } from './procedures/authenticate.handler.js';
import { exchange } from './procedures/exchange.handler.js';
import { login } from './procedures/login.handler.js';
import { logout } from './procedures/logout.handler.js';
import { lookupUsers } from './procedures/lookup-users.handler.js';
import { me } from './procedures/me.handler.js';
import { register } from './procedures/register.handler.js';
import { updateMe } from './procedures/update-me.handler.js';

export function createIdentityRouter(deps: IdentityDeps) {
  return implementService(identityContract, {
    auth: { register: register(deps), login: login(deps), logout: logout(deps), me: me(), updateMe: updateMe(deps) },
    apiKeys: { list: listApiKeys(), create: createApiKey(), delete: deleteApiKey(deps) },
    credentials: { authenticate: authenticate(), exchange: exchange(deps.signer) },
    users: { lookup: lookupUsers() },
    health: { check: healthCheck('identity') },
  });
}

export type IdentityRouter = ReturnType<typeof createIdentityRouter>;
