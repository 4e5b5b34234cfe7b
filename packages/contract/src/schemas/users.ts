import { z } from 'zod';
import { uuidSchema } from './common.js';

/** The most users one lookup names: a list page is at most 100 rows. */
export const MAX_USER_LOOKUP = 100;

/** Internal: what other services may know of users — one batched call per list, never one per row. */
export const lookupUsersInput = z.strictObject({ ids: z.array(uuidSchema).min(1).max(MAX_USER_LOOKUP) });

export const userProfileSchema = z.object({ id: uuidSchema, email: z.string(), name: z.string().nullable() });
export type UserProfile = z.infer<typeof userProfileSchema>;

/** The users that exist among those asked for; unknown ids are simply absent. */
export const lookupUsersOutput = z.object({ users: z.array(userProfileSchema) });
