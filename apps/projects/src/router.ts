import { projectsContract } from '@atrium/contract';
import { healthCheck, implementService } from '@atrium/service-runtime';
import { authorizeIcon } from './procedures/authorize-icon.handler.js';
import { addMember } from './procedures/add-member.handler.js';
import { createProject } from './procedures/create-project.handler.js';
import { deleteProject } from './procedures/delete-project.handler.js';
import { deleteIcon } from './procedures/delete-icon.handler.js';
import { getProject } from './procedures/get-project.handler.js';
import { ensureMember } from './procedures/ensure-member.handler.js';
import { listMembers } from './procedures/list-members.handler.js';
import { listProjectEvents } from './procedures/list-events.handler.js';
import { listProjects } from './procedures/list-projects.handler.js';
import { removeMember } from './procedures/remove-member.handler.js';
import { transferOwnership } from './procedures/transfer-ownership.handler.js';
import { updateMember } from './procedures/update-member.handler.js';
import { memberRole } from './procedures/member-role.handler.js';
import { setIcon } from './procedures/set-icon.handler.js';
import { projectContext } from './procedures/project-context.handler.js';
import { updateProject } from './procedures/update-project.handler.js';
import type { ProjectsDeps } from './deps.js';
import { PROJECTS_SCHEMA } from './schema.js';
import { createWebhook, deleteWebhook, listWebhookDeliveries, listWebhooks, rotateWebhookSecret } from './webhooks/handlers.js';

export function createProjectsRouter(deps: ProjectsDeps) {
  return implementService(
    projectsContract,
    {
      projects: {
        list: listProjects(),
        create: createProject(),
        get: getProject(),
        update: updateProject(),
        delete: deleteProject(deps),
        transfer: transferOwnership(),
      },
      icons: { set: setIcon(deps), delete: deleteIcon(deps), authorize: authorizeIcon() },
      events: { list: listProjectEvents() },
      members: { list: listMembers(), add: addMember(), update: updateMember(), delete: removeMember() },
      memberships: { role: memberRole(), context: projectContext(), ensure: ensureMember() },
      webhooks: {
        list: listWebhooks(),
        create: createWebhook(deps),
        delete: deleteWebhook(),
        rotateSecret: rotateWebhookSecret(deps),
        deliveries: listWebhookDeliveries(),
      },
      health: { check: healthCheck('projects', { eventsSchema: PROJECTS_SCHEMA }) },
    },
    // Each project-scoped handler reads the caller's role itself and authorizes with it (authorizeProjectRole).
    { projectRoles: 'in-handlers' },
  );
}

export type ProjectsRouter = ReturnType<typeof createProjectsRouter>;
