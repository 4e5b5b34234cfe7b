import type { ProjectRole } from '@atrium/contract';
import type { ServiceContext } from '@atrium/service-runtime';

export interface ProjectGrantFromProjects {
  role: ProjectRole;
  project: { id: string; name: string; display_name: string };
}

/**
 * Identity's `projectRoles` resolver: projects owns memberships, so identity asks it — one call,
 * which also brings the project's names an invite keeps.
 */
export async function projectAccess(ctx: ServiceContext, projectId: string): Promise<ProjectGrantFromProjects | null> {
  const context = await ctx.services.projects.memberships.context({ project_id: projectId });
  return context.role && context.project ? { role: context.role, project: context.project } : null;
}
