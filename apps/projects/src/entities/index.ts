import { Member } from './member.entity.js';
import { Project } from './project.entity.js';

export { Member, Project };
export type { IMember } from './member.entity.js';
export type { IProject } from './project.entity.js';

export const entities = [Project, Member];
