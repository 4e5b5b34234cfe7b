import type { ProjectRole } from '@atrium/contract';

/**
 * The caller's standing in a project, as a service's resolver found it; services may add what
 * they read with it. Its own module: the call context (context.ts) holds one and the role check
 * (access.ts) takes the context, so neither imports the other for it.
 */
export interface ProjectGrant {
  role: ProjectRole;
}
