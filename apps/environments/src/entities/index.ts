import { DeadLetter, EventAttempt, IdempotencyRecord, OutboxEvent, ProcessedEvent } from '@atrium/service-runtime';
import { DeletedProject } from './deleted-project.entity.js';
import { Environment } from './environment.entity.js';
import { Variable } from './variable.entity.js';

export { Environment, Variable };
export type { IEnvironment } from './environment.entity.js';
export { environmentFields } from './environment.entity.js';
export type { IVariable } from './variable.entity.js';
export { variableFields } from './variable.entity.js';

/** The outbox, the idempotency records and the event consumer's tables (from service-runtime) live in this service's schema too. */
export const entities = [Environment, Variable, DeletedProject, OutboxEvent, IdempotencyRecord, ProcessedEvent, EventAttempt, DeadLetter];
