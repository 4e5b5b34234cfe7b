import { z } from 'zod';
import {
  cloneEnvironmentInput,
  createDefaultEnvironmentInput,
  createEnvironmentInput,
  deleteEnvironmentInput,
  environmentPage,
  environmentRefInput,
  environmentSchema,
  listEnvironmentsInput,
  setDefaultEnvironmentInput,
  updateEnvironmentInput,
} from '../schemas/environment.js';
import {
  deleteVariableInput,
  listVariablesInput,
  putVariableInput,
  resolveVariablesInput,
  resolvedVariablesSchema,
  variablePage,
  variableSchema,
} from '../schemas/variable.js';
import { defineService, mutation, query } from '../operation.js';
import type { ProjectAction } from '../roles.js';
import { healthOperations } from './health.js';

const ENVIRONMENTS = '/projects/{projectId}/environments';
const ONE = `${ENVIRONMENTS}/{envId}` as const;
const tags: ['Environments'] = ['Environments'];
/** Every public operation here is scoped to the project named by the `projectId` path parameter. */
const scoped = (action: ProjectAction) => ({ action, projectId: 'projectId' });
/** The 404 of every operation on one environment (`{envId}`). */
const NO_ENVIRONMENT =
  'The project does not exist or you are not a member of it, or it has no environment with this id (an environment of another project included)';

export const environmentsContract = defineService('environments', {
  environments: {
    list: query({
      input: listEnvironmentsInput,
      output: environmentPage,
      list: true,
      access: scoped('environments.read'),
      rest: {
        method: 'GET',
        path: ENVIRONMENTS,
        status: 200,
        auth: 'user',
        summary: "List a project's environments",
        description:
          "The project's environments, a page at a time in creation order; exactly one has `is_default`. Any member (viewer and above).",
        tags,
        errors: ['NOT_FOUND'],
      },
    }),
    create: mutation({
      input: createEnvironmentInput,
      output: environmentSchema,
      access: scoped('environments.write'),
      rest: {
        method: 'POST',
        path: ENVIRONMENTS,
        status: 201,
        auth: 'user',
        summary: 'Create an environment',
        description:
          'Needs member or above. `type` defaults to `development`, `display_name` to `name`; a new environment is never the default. A name already used in the project is a 409. Takes an `Idempotency-Key`.',
        tags,
        errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
        errorDescriptions: { CONFLICT: 'The project already has an environment with this `name`' },
      },
    }),
    get: query({
      input: environmentRefInput,
      output: environmentSchema,
      access: scoped('environments.read'),
      rest: {
        method: 'GET',
        path: ONE,
        status: 200,
        auth: 'user',
        summary: 'Get an environment',
        conditional: 'read',
        description: 'One environment of the project. Any member (viewer and above).',
        tags,
        errors: ['NOT_FOUND'],
        errorDescriptions: { NOT_FOUND: NO_ENVIRONMENT },
      },
    }),
    update: mutation({
      input: updateEnvironmentInput,
      output: environmentSchema,
      access: scoped('environments.write'),
      rest: {
        method: 'PUT',
        path: ONE,
        status: 200,
        auth: 'user',
        summary: 'Update an environment',
        conditional: 'write',
        description:
          'Needs member or above. Partial: only the fields present change; `null` clears a nullable field. A new `name` must be unused in the project. The default moves only with set-default.',
        tags,
        errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
        errorDescriptions: { NOT_FOUND: NO_ENVIRONMENT, CONFLICT: 'Another environment of the project already has this `name`' },
      },
    }),
    delete: mutation({
      input: deleteEnvironmentInput,
      output: z.void(),
      access: scoped('environments.delete'),
      rest: {
        method: 'DELETE',
        path: ONE,
        status: 204,
        auth: 'user',
        summary: 'Delete an environment',
        conditional: 'write',
        description:
          'Needs admin or owner. The default environment cannot be deleted (409, with or without `force`: set another default first); one that still has variables needs `?force=true` (409 otherwise), which deletes them with it.',
        tags,
        errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
        errorDescriptions: {
          NOT_FOUND: NO_ENVIRONMENT,
          CONFLICT:
            "This is the project's default environment (set another default first, `force` or not), or it still has variables and `force` is not `true`",
        },
      },
    }),
    setDefault: mutation({
      input: setDefaultEnvironmentInput,
      output: environmentSchema,
      access: scoped('environments.write'),
      rest: {
        method: 'POST',
        path: `${ONE}/set-default`,
        status: 200,
        auth: 'user',
        summary: "Make this the project's default environment",
        conditional: 'write',
        description:
          'Needs member or above. Atomic: the previous default stops being default in the same transaction, so the project has exactly one default at every instant.',
        tags,
        errors: ['FORBIDDEN', 'NOT_FOUND'],
        errorDescriptions: { NOT_FOUND: NO_ENVIRONMENT },
      },
    }),
    clone: mutation({
      input: cloneEnvironmentInput,
      output: environmentSchema,
      access: scoped('environments.write'),
      rest: {
        method: 'POST',
        path: `${ONE}/clone`,
        status: 201,
        auth: 'user',
        summary: 'Clone an environment with all its variables',
        description:
          "Needs member or above. A new, non-default environment with the source's fields unless given here, and a copy of every variable (secrets stay secret), in one transaction. Takes an `Idempotency-Key`.",
        tags,
        errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
        errorDescriptions: {
          NOT_FOUND: 'The project does not exist or you are not a member of it, or it has no environment with this id to clone',
          CONFLICT: 'The project already has an environment with the new `name`',
        },
      },
    }),
    /** Called by projects right after a project commits (and from `projects.v1.created` if that call failed); idempotent. */
    createDefault: mutation({
      input: createDefaultEnvironmentInput,
      output: environmentSchema,
      internal: { callers: ['projects'], auth: 'app' },
      // Insert-if-absent: a copy sent again finds the environment and answers it.
      repeatable: true,
    }),
  },
  variables: {
    list: query({
      input: listVariablesInput,
      output: variablePage,
      list: true,
      access: scoped('environments.read'),
      rest: {
        method: 'GET',
        path: `${ONE}/variables`,
        status: 200,
        auth: 'user',
        summary: "List an environment's variables",
        description:
          "The environment's variables, a page at a time in creation order. Secret values are never returned: their `value` is null. Any member (viewer and above).",
        tags,
        errors: ['NOT_FOUND'],
        errorDescriptions: { NOT_FOUND: NO_ENVIRONMENT },
      },
    }),
    put: mutation({
      input: putVariableInput,
      output: variableSchema,
      access: scoped('environments.write'),
      rest: {
        method: 'PUT',
        path: `${ONE}/variables/{key}`,
        status: 200,
        auth: 'user',
        summary: 'Set a variable (created if missing)',
        conditional: 'write',
        description:
          'Needs member or above. Keys match `[A-Za-z_][A-Za-z0-9_]*` (up to 255 characters); values are at most 64 KiB. `secret: true` encrypts the value at rest; it is never returned again. Leaving `secret` out keeps the variable as it was (not secret when new).',
        tags,
        errors: ['FORBIDDEN', 'NOT_FOUND'],
        errorDescriptions: {
          NOT_FOUND: NO_ENVIRONMENT,
          PRECONDITION_FAILED:
            "`If-Match` was sent and names none of the variable's current ETag, or the variable does not exist (then only a PUT without `If-Match` creates it). Nothing was changed: read it again and retry",
        },
      },
    }),
    delete: mutation({
      input: deleteVariableInput,
      output: z.void(),
      access: scoped('environments.write'),
      rest: {
        method: 'DELETE',
        path: `${ONE}/variables/{key}`,
        status: 204,
        auth: 'user',
        summary: 'Delete a variable',
        conditional: 'write',
        description: 'Needs member or above. Deletes one variable of the environment, secret or not.',
        tags,
        errors: ['FORBIDDEN', 'NOT_FOUND'],
        errorDescriptions: { NOT_FOUND: `${NO_ENVIRONMENT}; or the environment has no variable with this key` },
      },
    }),
    /**
     * For the deploy system starting a workload: every variable of the environment with its
     * value, secrets decrypted — the one way a secret's value leaves the service (never over
     * REST). Only `deployer` may call it (signed with its own key; the bus lets no one else
     * publish it). An unknown environment, or one of another project, is NOT_FOUND. Each call is
     * recorded in the project's audit trail (`environments.v1.variables_resolved`, key names
     * only), so it is a mutation: the event is written in its transaction, and it is never sent
     * twice (one call, one audit entry).
     */
    resolve: mutation({
      input: resolveVariablesInput,
      output: resolvedVariablesSchema,
      internal: { callers: ['deployer'], auth: 'app' },
    }),
  },
  health: healthOperations,
});
