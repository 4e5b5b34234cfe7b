import { IdempotencyRecord, OutboxEvent } from '@atrium/service-runtime';
import { Member } from './member.entity.js';
import { Project } from './project.entity.js';

export { Member, Project };
export type { IMember } from './member.entity.js';
export type { IProject } from './project.entity.js';

/** The outbox and the idempotency records (from service-runtime) live in this service's schema too. */
export const entities = [Project, Member, OutboxEvent, IdempotencyRecord];
