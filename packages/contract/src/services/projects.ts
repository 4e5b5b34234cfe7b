import { z } from 'zod';
import {
  createProjectInput,
  deleteProjectInput,
  getProjectInput,
  listProjectsInput,
  projectPage,
  projectSchema,
  updateProjectInput,
} from '../schemas/project.js';
import { uuidSchema } from '../schemas/common.js';
import { projectRoleSchema } from '../roles.js';
import { defineService, mutation, query } from '../operation.js';
import { healthOperations } from './health.js';

export const projectsContract = defineService('projects', {
  projects: {
    list: query({
      input: listProjectsInput,
      output: projectPage,
      list: true,
      rest: { method: 'GET', path: '/projects', status: 200, auth: 'user', summary: 'List the projects you are a member of', tags: ['Projects'] },
    }),
    create: mutation({
      input: createProjectInput,
      output: projectSchema,
      rest: { method: 'POST', path: '/projects', status: 201, auth: 'user', summary: 'Create a project (you become its owner)', tags: ['Projects'], errors: ['CONFLICT'] },
    }),
    get: query({
      input: getProjectInput,
      output: projectSchema,
      access: { action: 'project.read', projectId: 'id' },
      rest: { method: 'GET', path: '/projects/{id}', status: 200, auth: 'user', summary: 'Get a project', tags: ['Projects'] },
    }),
    update: mutation({
      input: updateProjectInput,
      output: projectSchema,
      access: { action: 'project.update', projectId: 'id' },
      rest: {
        method: 'PUT',
        path: '/projects/{id}',
        status: 200,
        auth: 'user',
        summary: 'Update a project',
        description: 'Partial: only the fields present change; `null` clears a nullable field. Needs admin or owner.',
        tags: ['Projects'],
        errors: ['CONFLICT'],
      },
    }),
    delete: mutation({
      input: deleteProjectInput,
      output: z.void(),
      access: { action: 'project.delete', projectId: 'id' },
      rest: {
        method: 'DELETE',
        path: '/projects/{id}',
        status: 204,
        auth: 'user',
        summary: 'Delete a project and all its resources',
        description: 'Owner only. The project disappears at once; its resources are removed by the owning services.',
        tags: ['Projects'],
      },
    }),
  },
  memberships: {
    /** The calling user's role in a project (null: not a member), for services that act on a project's resources. */
    role: query({
      input: z.strictObject({ project_id: uuidSchema }),
      output: z.object({ role: projectRoleSchema.nullable() }),
      internal: { callers: ['environments'], auth: 'user' },
    }),
  },
  health: healthOperations,
});
