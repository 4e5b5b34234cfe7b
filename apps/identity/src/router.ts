import { identityContract } from '@atrium/contract';
import { healthCheck, implementService } from '@atrium/service-runtime';
import type { IdentityDeps } from './deps.js';
import { IDENTITY_SCHEMA } from './db.js';
import { createApiKey, deleteApiKey, listApiKeys } from './procedures/api-keys.handler.js';
import { authenticate } from './procedures/authenticate.handler.js';
import { exchange } from './procedures/exchange.handler.js';
import { login } from './procedures/login.handler.js';
import { logout } from './procedures/logout.handler.js';
import { lookupUsers } from './procedures/lookup-users.handler.js';
import { acceptInvite, getInvite, myInvites } from './invites/invite-token.handler.js';
import { cancelInvite, createInvite, listInvites } from './invites/invites.handler.js';
import { checkingClientCredentials } from './security/client-sessions.js';
import { me } from './procedures/me.handler.js';
import { register } from './procedures/register.handler.js';
import { updateMe } from './procedures/update-me.handler.js';

export function createIdentityRouter(deps: IdentityDeps) {
  return implementService(
    identityContract,
    checkingClientCredentials({
      auth: { register: register(deps), login: login(deps), logout: logout(deps), me: me(), updateMe: updateMe(deps) },
      apiKeys: { list: listApiKeys(), create: createApiKey(), delete: deleteApiKey(deps) },
      credentials: { authenticate: authenticate(), exchange: exchange(deps.signer) },
      invites: {
        list: listInvites(),
        create: createInvite(deps),
        delete: cancelInvite(),
        get: getInvite(),
        accept: acceptInvite(),
        mine: myInvites(),
      },
      users: { lookup: lookupUsers() },
      health: { check: healthCheck('identity', { eventsSchema: IDENTITY_SCHEMA }) },
    }),
    { projectRoles: 'in-handlers' },
  );
}

export type IdentityRouter = ReturnType<typeof createIdentityRouter>;
