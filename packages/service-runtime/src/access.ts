import { roleAllows } from '@atrium/contract';
import type { ProjectAccess } from '@atrium/contract';
import type { ServiceContext } from './context.js';
import type { ProjectGrant } from './project-grant.js';
import { DomainError, notFound } from './errors.js';
import { refuseOutOfScope, refuseReadOnlyWrite } from './scope.js';

export type { ProjectGrant } from './project-grant.js';

/**
 * How a service learns the caller's role in a project (null: not a member). Other services ask
 * projects or keep their own replica; projects' handlers read it themselves (`authorizeProjectRole`).
 */
export type ProjectRoleResolver<G extends ProjectGrant = ProjectGrant> = (ctx: ServiceContext, projectId: string) => Promise<G | null>;

/**
 * The role table (docs/api-contract.md, Roles) applied to what was found: a non-member gets 404,
 * exactly as if the project did not exist; a member whose role is below the action's lowest
 * role gets 403. A scoped API key acts with its owner's role and never more: a read-only key
 * doing anything but read gets 403 too (see scope.ts; its projects were checked before).
 */
function applyRoleTable<G extends ProjectGrant>(ctx: ServiceContext, access: ProjectAccess, grant: G | null): G {
  if (!grant) throw notFound('Project');
  refuseReadOnlyWrite(ctx.meta, access);
  if (!roleAllows(grant.role, access.action)) {
    throw new DomainError('FORBIDDEN', `Your role (${grant.role}) does not allow this`);
  }
  return grant;
}

/** The runtime's role check, with the service's resolver: returns what the resolver found, for the handler (`grantOf`). */
export async function authorizeProjectAccess<G extends ProjectGrant>(
  access: ProjectAccess,
  input: unknown,
  ctx: ServiceContext,
  resolve: ProjectRoleResolver<G>,
): Promise<G> {
  const projectId = projectIdOf(access, input);
  // A project outside the caller's key: 404 before anyone is asked about it.
  refuseOutOfScope(ctx.meta, projectId);
  return applyRoleTable(ctx, access, await resolve(ctx, projectId));
}

/** The project a project-scoped call names in its input. */
export function projectIdOf(access: ProjectAccess, input: unknown): string {
  const projectId = (input as Record<string, unknown> | undefined)?.[access.projectId];
  // The contract test holds every `projectId` to a UUID field of the input, validated before this runs.
  if (typeof projectId !== 'string') throw new Error(`the input has no project id in "${access.projectId}"`);
  return projectId;
}

/**
 * The authorize step of a handler that reads the caller's role itself (a service implemented
 * with `projectRoles: 'in-handlers'`): applies the call's role table, as the contract declares
 * it for the operation, to the role the handler found, and returns what it found. The runtime
 * refuses to answer a project-scoped call whose handler never called this.
 */
export function authorizeProjectRole<G extends ProjectGrant>(ctx: ServiceContext, found: G | null): G {
  const check = ctx.projectAccess;
  if (!check) throw new Error('this operation declares no project access in the contract');
  const grant = applyRoleTable(ctx, check.access, found);
  check.authorized = true;
  return grant;
}

/**
 * What the runtime's access check resolved for this call. Only for operations that declare
 * `access` in the contract, in a service whose resolver the runtime runs: anywhere else it is a
 * programming error.
 */
export function grantOf<G extends ProjectGrant = ProjectGrant>(ctx: ServiceContext): G {
  if (!ctx.access) throw new Error('this operation declares no project access in the contract');
  return ctx.access as G;
}
