import type { ProjectRole } from '@atrium/contract';
import type { ServiceContext } from '@atrium/service-runtime';

export interface ProjectGrantFromProjects {
  role: ProjectRole;
  project: { id: string; name: string; display_name: string };
}

/**
 * The caller's role in a project and the project's names (which an invite keeps), or null when
 * the caller is not a member: projects owns memberships, so identity asks it, in one call. Each
 * project-scoped invite handler passes what it found to `authorizeProjectRole` before anything
 * else (identity is implemented with `projectRoles: 'in-handlers'`).
 */
export async function fetchProjectWithCallerRole(ctx: ServiceContext, projectId: string): Promise<ProjectGrantFromProjects | null> {
  const context = await ctx.services.projects.memberships.context({ project_id: projectId });
  return context.role && context.project ? { role: context.role, project: context.project } : null;
}
