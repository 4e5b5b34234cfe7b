import { ApiKey } from './api-key.entity.js';
import { Invite } from './invite.entity.js';
import { Session } from './session.entity.js';
import { User } from './user.entity.js';

export { ApiKey, Invite, Session, User };
export type { IInvite } from './invite.entity.js';
export type { IApiKey } from './api-key.entity.js';
export type { ISession } from './session.entity.js';
export type { IUser } from './user.entity.js';

export const entities = [User, Session, ApiKey, Invite];
