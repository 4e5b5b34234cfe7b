import { roleAllows } from '@atrium/contract';
import type { ProjectAccess, ProjectRole } from '@atrium/contract';
import type { ServiceContext } from './context.js';
import { DomainError, notFound } from './errors.js';

/** The caller's standing in a project, as a service's resolver found it; services may add what they read with it. */
export interface ProjectGrant {
  role: ProjectRole;
}

/**
 * How a service learns the caller's role in a project (null: not a member). Projects reads its
 * own memberships (joined with the project, so the handler reuses the row); other services ask
 * projects or keep their own replica.
 */
export type ProjectRoleResolver<G extends ProjectGrant = ProjectGrant> = (ctx: ServiceContext, projectId: string) => Promise<G | null>;

/**
 * The role table applied to one call (docs/api-contract.md, Roles): a non-member gets 404,
 * exactly as if the project did not exist; a member whose role is below the action's lowest
 * role gets 403. Returns what the resolver found, for the handler to reuse.
 */
export async function authorizeProjectAccess<G extends ProjectGrant>(
  access: ProjectAccess,
  input: unknown,
  ctx: ServiceContext,
  resolve: ProjectRoleResolver<G>,
): Promise<G> {
  const projectId = (input as Record<string, unknown> | undefined)?.[access.projectId];
  // The contract test holds every `projectId` to a UUID field of the input, validated before this runs.
  if (typeof projectId !== 'string') throw new Error(`the input has no project id in "${access.projectId}"`);
  const grant = await resolve(ctx, projectId);
  if (!grant) throw notFound('Project');
  if (!roleAllows(grant.role, access.action)) {
    throw new DomainError('FORBIDDEN', `Your role (${grant.role}) does not allow this`);
  }
  return grant;
}

/**
 * What the runtime's access check resolved for this call. Only for operations that declare
 * `access` in the contract: anywhere else it is a programming error.
 */
export function grantOf<G extends ProjectGrant = ProjectGrant>(ctx: ServiceContext): G {
  if (!ctx.access) throw new Error('this operation declares no project access in the contract');
  return ctx.access as G;
}
