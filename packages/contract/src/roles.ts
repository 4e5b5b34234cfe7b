import { z } from 'zod';

/** Project roles, highest first (docs/api-contract.md, Roles). */
export const PROJECT_ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export const projectRoleSchema = z.enum(PROJECT_ROLES).meta({ id: 'ProjectRole' });
export type ProjectRole = z.infer<typeof projectRoleSchema>;

const RANK: Record<ProjectRole, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/**
 * The role table of docs/api-contract.md (Roles) as data: the lowest role allowed to do each action.
 * Every service authorizes through `roleAllows`, so the table lives here once.
 */
export const LOWEST_ROLE_FOR = {
  'project.read': 'viewer',
  'members.read': 'viewer',
  'environments.read': 'viewer',
  /**
   * Removing one's own membership. The owner's rank passes here too; the handler answers 409
   * for the owner ("transfer first"), which is a rule about the membership, not about roles.
   */
  'project.leave': 'viewer',
  'environments.write': 'member',
  'environments.delete': 'admin',
  'project.update': 'admin',
  'project.icon': 'admin',
  /** Never on the owner's membership and never granting owner: the handlers hold that part. */
  'members.manage': 'admin',
  'invites.manage': 'admin',
  /** Listing a project's pending invites: who manages them, as a read (a read-only API key may). */
  'invites.read': 'admin',
  /** The project's audit trail (`GET /projects/{id}/events`): who did what, from which request. */
  'project.audit': 'admin',
  /** A project's webhooks (`/projects/{id}/webhooks`) and their delivery logs, read; never a secret. */
  'webhooks.read': 'admin',
  /** Creating and deleting webhooks, rotating their secrets. */
  'webhooks.manage': 'admin',
  'project.transfer': 'owner',
  'project.delete': 'owner',
} as const satisfies Record<string, ProjectRole>;

export type ProjectAction = keyof typeof LOWEST_ROLE_FOR;

export function roleAllows(role: ProjectRole, action: ProjectAction): boolean {
  return RANK[role] >= RANK[LOWEST_ROLE_FOR[action]];
}

/**
 * The actions that change nothing: the only ones a read-only API key (`access: "read"`) may do
 * in a project. Every project-scoped query's action is one of them, every mutation's is not
 * (the contract test holds the contract to it), so "read" is decided by the role table too.
 */
export const READ_ACTIONS: ReadonlySet<ProjectAction> = new Set<ProjectAction>([
  'project.read',
  'members.read',
  'environments.read',
  'project.audit',
  'invites.read',
  'webhooks.read',
]);
