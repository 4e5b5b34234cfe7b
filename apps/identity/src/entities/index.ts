import { DeadLetter, EventAttempt, IdempotencyRecord, OutboxEvent, ProcessedEvent } from '@atrium/service-runtime';
import { ApiKey } from './api-key.entity.js';
import { Invite } from './invite.entity.js';
import { PasswordAttempts } from './password-attempts.entity.js';
import { QueuedMail } from './queued-mail.entity.js';
import { Session } from './session.entity.js';
import { User } from './user.entity.js';

export { ApiKey, Invite, PasswordAttempts, QueuedMail, Session, User };
export type { IInvite } from './invite.entity.js';
export type { IApiKey } from './api-key.entity.js';
export type { ISession } from './session.entity.js';
export type { IUser } from './user.entity.js';

/** The idempotency records, the outbox and the event consumer's tables (from service-runtime) live in this service's schema too. */
export const entities = [
  User,
  Session,
  ApiKey,
  Invite,
  PasswordAttempts,
  QueuedMail,
  IdempotencyRecord,
  OutboxEvent,
  ProcessedEvent,
  EventAttempt,
  DeadLetter,
];
