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
  updateEnvironmentInput,
} from '../schemas/environment.js';
import { deleteVariableInput, listVariablesInput, putVariableInput, variablePage, variableSchema } from '../schemas/variable.js';
import { defineService, mutation, query } from '../operation.js';
import type { ProjectAction } from '../roles.js';
import { healthOperations } from './health.js';

const ENVIRONMENTS = '/projects/{projectId}/environments';
const ONE = `${ENVIRONMENTS}/{envId}` as const;
const tags: ['Environments'] = ['Environments'];
/** Every public operation here is scoped to the project named by the `projectId` path parameter. */
const scoped = (action: ProjectAction) => ({ action, projectId: 'projectId' });

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
          'Needs member or above. `type` defaults to `development`, `display_name` to `name`. A name already used in the project is a 409.',
        tags,
        errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
      },
    }),
    get: query({
      input: environmentRefInput,
      output: environmentSchema,
      access: scoped('environments.read'),
      rest: { method: 'GET', path: ONE, status: 200, auth: 'user', summary: 'Get an environment', tags, errors: ['NOT_FOUND'] },
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
        description: 'Partial: only the fields present change; `null` clears a nullable field. The default moves only with set-default.',
        tags,
        errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
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
        description:
          'Needs admin or owner. The default environment cannot be deleted (409, with or without `force`: set another default first); one that still has variables needs `?force=true` (409 otherwise).',
        tags,
        errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
      },
    }),
    setDefault: mutation({
      input: environmentRefInput,
      output: environmentSchema,
      access: scoped('environments.write'),
      rest: {
        method: 'POST',
        path: `${ONE}/set-default`,
        status: 200,
        auth: 'user',
        summary: "Make this the project's default environment",
        description: 'Atomic: the previous default stops being default in the same transaction.',
        tags,
        errors: ['FORBIDDEN', 'NOT_FOUND'],
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
          "A new, non-default environment with the source's fields unless given here, and a copy of every variable, in one transaction.",
        tags,
        errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
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
        description: 'Secret values are never returned: their `value` is null.',
        tags,
        errors: ['NOT_FOUND'],
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
        description:
          '`secret: true` encrypts the value at rest; it is never returned again. Leaving `secret` out keeps the variable as it was (not secret when new).',
        tags,
        errors: ['FORBIDDEN', 'NOT_FOUND'],
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
        tags,
        errors: ['FORBIDDEN', 'NOT_FOUND'],
      },
    }),
  },
  health: healthOperations,
});
