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
  'project.update': 'admin',
  'project.delete': 'owner',
  'project.transfer': 'owner',
  'project.icon': 'admin',
  'members.manage': 'admin',
  'invites.manage': 'admin',
  'environments.read': 'viewer',
  'environments.write': 'member',
  'environments.delete': 'admin',
} as const satisfies Record<string, ProjectRole>;

export type ProjectAction = keyof typeof LOWEST_ROLE_FOR;

export function roleAllows(role: ProjectRole, action: ProjectAction): boolean {
  return RANK[role] >= RANK[LOWEST_ROLE_FOR[action]];
}
