import { z } from 'zod';
import { MAX_CREDENTIAL_LENGTH } from '../credentials.js';
import { displayNameSchema, textSchema, timestampSchema, uuidSchema } from './common.js';

/** E-mail addresses are compared case-insensitively, so they are stored lower-cased. */
export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email())
  .transform((email) => email.toLowerCase())
  .meta({ description: 'E-mail address; compared case-insensitively', example: 'dev@example.com' });

export const MIN_PASSWORD_LENGTH = 8;
/** Long enough for any passphrase, short enough that hashing it is not a denial of service. */
export const MAX_PASSWORD_LENGTH = 256;

// Passwords are hashed as UTF-8, where a lone surrogate would turn into U+FFFD: two passwords, one hash.
export const newPasswordSchema = textSchema()
  .min(MIN_PASSWORD_LENGTH)
  .max(MAX_PASSWORD_LENGTH)
  .meta({ description: `Password, ${MIN_PASSWORD_LENGTH}–${MAX_PASSWORD_LENGTH} characters`, example: 'correct horse battery' });
/** Sign-in takes any non-empty string so a short wrong password gets 401, not a hint about the rule. */
const anyPasswordSchema = textSchema()
  .min(1)
  .max(MAX_PASSWORD_LENGTH)
  .meta({ description: 'The password', example: 'correct horse battery' });

export const userSchema = z
  .object({
    id: uuidSchema.meta({ description: 'User id' }),
    email: z.string().meta({ description: 'E-mail address, lower-cased' }),
    name: z.string().nullable().meta({ description: 'Name shown to people, or null' }),
    created_at: timestampSchema.meta({ description: 'When the user registered' }),
    updated_at: timestampSchema.meta({ description: 'When the user last changed' }),
  })
  .meta({ id: 'User' });

export type User = z.infer<typeof userSchema>;

export const registerInput = z
  .strictObject({
    email: emailSchema,
    password: newPasswordSchema,
    name: displayNameSchema.meta({ description: 'Name shown to people, 1–100 characters', example: 'Ada Lovelace' }).optional(),
  })
  .meta({ id: 'Register' });

export const loginInput = z.strictObject({ email: emailSchema, password: anyPasswordSchema }).meta({ id: 'Login' });

export const sessionSchema = z
  .object({
    user: userSchema,
    token: z.string().meta({ description: 'Bearer token for `Authorization: Bearer <token>`' }),
  })
  .meta({ id: 'Session' });

export const updateMeInput = z
  .strictObject({
    name: displayNameSchema.nullable().meta({ description: 'New name, 1–100 characters; null clears it' }).optional(),
    password: newPasswordSchema.meta({ description: 'New password; needs `current_password`; signs out every other session' }).optional(),
    current_password: anyPasswordSchema.meta({ description: 'The current password, to change it' }).optional(),
  })
  .refine((body) => body.password === undefined || body.current_password !== undefined, {
    message: 'current_password is required to change the password',
    path: ['current_password'],
  })
  .meta({ id: 'UpdateMe' });

/** The most projects one API key can be scoped to. */
export const MAX_API_KEY_PROJECTS = 100;

export const API_KEY_ACCESS = ['write', 'read'] as const;
export const apiKeyAccessSchema = z
  .enum(API_KEY_ACCESS)
  .meta({ id: 'ApiKeyAccess', description: '`write` (what its owner may do) or `read` (reads only: every other operation is 403)' });

const apiKeyProjectIds = z
  .array(uuidSchema)
  .nullable()
  .meta({
    description:
      "The only projects the key works on (any other answers 404, and `GET /projects` lists only these), or null: every project of its owner's",
    example: ['550e8400-e29b-41d4-a716-446655440000'],
  });

export const apiKeySchema = z
  .object({
    id: uuidSchema.meta({ description: 'API key id' }),
    name: z.string().meta({ description: 'What the key is for' }),
    prefix: z.string().meta({ description: 'The first characters of the key, to recognise it' }),
    created_at: timestampSchema.meta({ description: 'When the key was created' }),
    last_used_at: timestampSchema.nullable().meta({ description: 'When the key last authenticated a request, or null' }),
    expires_at: timestampSchema.nullable().meta({ description: 'When the key stops working, or null for never' }),
    project_ids: apiKeyProjectIds,
    access: apiKeyAccessSchema,
  })
  .meta({ id: 'ApiKey' });

export const createdApiKeySchema = apiKeySchema
  .extend({ key: z.string().meta({ description: 'The secret; shown only in this response' }) })
  .meta({ id: 'CreatedApiKey' });

export const createApiKeyInput = z
  .strictObject({
    name: displayNameSchema.meta({ description: 'What the key is for, 1–100 characters', example: 'CI deploys' }),
    expires_at: timestampSchema
      .meta({ description: 'When the key stops working (in the future); never, if absent' })
      .optional()
      .refine((value) => value === undefined || Date.parse(value) > Date.now(), 'must be in the future'),
    project_ids: z
      .array(uuidSchema)
      .min(1)
      .max(MAX_API_KEY_PROJECTS)
      .meta({
        description: `Limits the key to these projects (1–${MAX_API_KEY_PROJECTS}), each one you are a member of (404 otherwise): any other project answers 404 to it, it lists only these, and it cannot create projects. Every project of yours, if absent`,
        example: ['550e8400-e29b-41d4-a716-446655440000'],
      })
      .optional(),
    access: apiKeyAccessSchema
      .optional()
      .meta({ description: '`write` (the default) or `read`: a read key is refused (403) every operation that changes something' }),
  })
  .meta({ id: 'CreateApiKey' });

export const deleteApiKeyInput = z.strictObject({ id: uuidSchema.meta({ description: 'API key id' }) });

/** Internal: what the gateway learns about a credential. */
export const authenticateInput = z.strictObject({ credential: z.string().min(1).max(MAX_CREDENTIAL_LENGTH) });
export const authenticatedCallerSchema = z.object({
  user: userSchema,
  credential_id: uuidSchema,
  credential_kind: z.enum(['session', 'api_key']),
  /** When the credential stops working (null: never); nobody may trust it past this. */
  expires_at: timestampSchema.nullable(),
  /**
   * A scoped API key's limits (a session has none): carried with the caller in every call's
   * assertion. Defaults keep a gateway working with an identity that predates them.
   */
  project_ids: z.array(uuidSchema).min(1).max(MAX_API_KEY_PROJECTS).nullable().default(null),
  access: apiKeyAccessSchema.default('write'),
});
export type AuthenticatedCaller = z.infer<typeof authenticatedCallerSchema>;

/**
 * A credential's limits as every call carries them with its caller (nats-trpc's `Caller.scope`),
 * or undefined for a credential without any (a session, a full API key).
 */
export function credentialScopeOf(credential: {
  project_ids?: readonly string[] | null;
  access?: 'read' | 'write';
}): { projects?: readonly string[]; readOnly?: true } | undefined {
  const projects = credential.project_ids ?? undefined;
  const readOnly = credential.access === 'read';
  if (!projects && !readOnly) return undefined;
  return { ...(projects && { projects }), ...(readOnly && { readOnly: true as const }) };
}
