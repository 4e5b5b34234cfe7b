import { environmentsContract } from '@atrium/contract';
import { healthCheck, implementService } from '@atrium/service-runtime';
import type { ProjectRoleResolver } from '@atrium/service-runtime';
import { cloneEnvironment } from './procedures/clone-environment.handler.js';
import { createDefaultEnvironment } from './procedures/create-default.handler.js';
import { createEnvironment } from './procedures/create-environment.handler.js';
import { deleteEnvironment } from './procedures/delete-environment.handler.js';
import { deleteVariable } from './procedures/delete-variable.handler.js';
import { getEnvironment } from './procedures/get-environment.handler.js';
import { listEnvironments } from './procedures/list-environments.handler.js';
import { listVariables } from './procedures/list-variables.handler.js';
import { putVariable } from './procedures/put-variable.handler.js';
import { resolveVariables } from './procedures/resolve-variables.handler.js';
import { setDefaultEnvironment } from './procedures/set-default.handler.js';
import { updateEnvironment } from './procedures/update-environment.handler.js';
import type { SecretCipher } from '@atrium/service-runtime';
import { ENVIRONMENTS_SCHEMA } from './schema.js';

export interface EnvironmentsRouterDeps {
  cipher: SecretCipher;
  /** The caller's role in a project (see access/project-roles.ts). */
  projectRoles: ProjectRoleResolver;
}

export function createEnvironmentsRouter({ cipher, projectRoles }: EnvironmentsRouterDeps) {
  return implementService(
    environmentsContract,
    {
      environments: {
        list: listEnvironments(),
        create: createEnvironment(),
        get: getEnvironment(),
        update: updateEnvironment(),
        delete: deleteEnvironment(),
        setDefault: setDefaultEnvironment(),
        clone: cloneEnvironment(cipher),
        createDefault: createDefaultEnvironment(),
      },
      variables: { list: listVariables(), put: putVariable(cipher), delete: deleteVariable(), resolve: resolveVariables(cipher) },
      health: { check: healthCheck('environments', { eventsSchema: ENVIRONMENTS_SCHEMA }) },
    },
    { projectRoles },
  );
}

export type EnvironmentsRouter = ReturnType<typeof createEnvironmentsRouter>;
