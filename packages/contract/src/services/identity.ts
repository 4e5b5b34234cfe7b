import { z } from 'zod';
import {
  apiKeySchema,
  authenticateInput,
  authenticatedCallerSchema,
  createApiKeyInput,
  createdApiKeySchema,
  deleteApiKeyInput,
  loginInput,
  registerInput,
  sessionSchema,
  updateMeInput,
  userSchema,
} from '../schemas/auth.js';
import { pageOf, listQueryShape } from '../schemas/common.js';
import { lookupUsersInput, lookupUsersOutput } from '../schemas/users.js';
import {
  acceptInviteInput,
  cancelInviteInput,
  createInviteInput,
  createdInviteSchema,
  getInviteInput,
  invitePage,
  invitePreviewSchema,
  listInvitesInput,
  myInvitePage,
  myInvitesInput,
} from '../schemas/invite.js';
import { memberSchema } from '../schemas/member.js';
import { defineService, mutation, query } from '../operation.js';
import { healthOperations } from './health.js';

const noInput = z.strictObject({});

export const identityContract = defineService('identity', {
  auth: {
    register: mutation({
      input: registerInput,
      password: 'sets',
      output: sessionSchema,
      rest: {
        method: 'POST',
        path: '/auth/register',
        status: 201,
        auth: 'public',
        rateLimit: 'secret',
        summary: 'Register a user and sign in',
        description:
          'Creates an account and answers it with a new session token, as sign-in does; no credential needed. The e-mail is compared case-insensitively; the password is 8–256 characters. With `AUTH_REGISTRATION=invite-only` only the very first user, or an e-mail with a pending, unexpired invite, may register. Held to the low per-address limit of the operations that take a password (`AUTH_RATE_LIMIT_PER_MINUTE`). Takes an `Idempotency-Key`.',
        tags: ['Auth'],
        errors: ['CONFLICT', 'FORBIDDEN'],
        errorDescriptions: {
          CONFLICT: 'An account with this e-mail (compared case-insensitively) already exists',
          FORBIDDEN:
            'Registration is invite-only (`AUTH_REGISTRATION=invite-only`) and there is no pending, unexpired invite for this e-mail',
        },
      },
    }),
    login: mutation({
      input: loginInput,
      password: 'verifies',
      output: sessionSchema,
      rest: {
        method: 'POST',
        path: '/auth/login',
        status: 200,
        auth: 'public',
        rateLimit: 'secret',
        summary: 'Sign in with e-mail and password',
        description:
          'Answers the user and a new session token (`ats_…`), valid `SESSION_TTL_DAYS` (30 days by default); no credential needed. A wrong pair is the same 401, taking as long, whether or not the e-mail is registered. Failed attempts count against the account (10 per 15 minutes, then 429 until the window ends) and the per-address limit is the low one (`AUTH_RATE_LIMIT_PER_MINUTE`).',
        tags: ['Auth'],
        errors: ['UNAUTHORIZED'],
        errorDescriptions: {
          UNAUTHORIZED: 'The e-mail and password do not match an account (the same answer whether or not the e-mail is registered)',
          SERVICE_UNAVAILABLE: 'A service did not answer in time or could not be reached; safe to retry (each sign-in makes a new token)',
        },
      },
    }),
    logout: mutation({
      // No body needed: the credential of the request is what is revoked.
      input: noInput.optional(),
      output: z.void(),
      // Every key may sign itself out, a read key too.
      scopedKeys: 'any',
      rest: {
        method: 'POST',
        path: '/auth/logout',
        status: 204,
        auth: 'user',
        summary: 'Revoke the credential used for this request',
        description:
          'Revokes the session token or API key this request carries, at once on every gateway; your other credentials stay valid. Takes no body.',
        tags: ['Auth'],
        errorDescriptions: {
          SERVICE_UNAVAILABLE:
            'A service did not answer in time or could not be reached; the credential may be revoked already (a retry then answers 401)',
        },
      },
    }),
    me: query({
      input: noInput,
      output: userSchema,
      scopedKeys: 'any',
      rest: {
        method: 'GET',
        path: '/auth/me',
        status: 200,
        auth: 'user',
        summary: 'The signed-in user',
        description: "The account of the credential's owner: id, e-mail (lower-cased), name and timestamps. Any signed-in user.",
        tags: ['Auth'],
      },
    }),
    updateMe: mutation({
      input: updateMeInput,
      password: 'verifies',
      output: userSchema,
      rest: {
        method: 'PUT',
        path: '/auth/me',
        status: 200,
        auth: 'user',
        summary: 'Change your name or password',
        description:
          "Partial: `name` changes your name (`null` clears it); a new `password` needs `current_password`, and a wrong one counts against the account's failed-password budget like a failed sign-in. Changing the password revokes every other credential of yours — every other session and every API key — on every gateway; the credential making the change stays valid.",
        tags: ['Auth'],
        errors: ['FORBIDDEN'],
        errorDescriptions: {
          FORBIDDEN:
            'The request carries a scoped API key (limited to projects, or read-only): the account changes only with a session or an unscoped key',
          BAD_REQUEST:
            'Invalid input (see `error.details`): a malformed or unknown field, or a new `password` with a missing or wrong `current_password`',
        },
      },
    }),
  },
  apiKeys: {
    list: query({
      input: z.strictObject(listQueryShape),
      output: pageOf(apiKeySchema),
      list: true,
      rest: {
        method: 'GET',
        path: '/auth/api-keys',
        status: 200,
        auth: 'user',
        summary: 'List your API keys',
        description:
          'Your own API keys, a page at a time, oldest first: name, `prefix` (the first 12 characters, to recognise a key), expiry, scope (`project_ids`, `access`) and creation time — never the key itself. Not with a scoped API key (403).',
        tags: ['Auth'],
        errors: ['FORBIDDEN'],
        errorDescriptions: { FORBIDDEN: "The request carries a scoped API key, which may not see the account's keys" },
      },
    }),
    create: mutation({
      input: createApiKeyInput,
      output: createdApiKeySchema,
      rest: {
        method: 'POST',
        path: '/auth/api-keys',
        status: 201,
        auth: 'user',
        summary: 'Create an API key (the secret is shown once)',
        description:
          'Creates an API key (`atk_…`) acting as you, valid until revoked or until its optional `expires_at`. This answer alone carries `key`: only its SHA-256 is stored. A key can be scoped: `project_ids` (1–100 projects you are a member of) limits it to those projects — any other answers 404, `GET /projects` lists only them, and it cannot create projects; `access: "read"` refuses it (403) every operation that changes something. A scoped key never does more than you may: it acts with your role of the moment in each project, so demoting or removing you limits it at once. A scoped key cannot manage API keys or change the account (403). Any signed-in user. Takes an `Idempotency-Key`.',
        tags: ['Auth'],
        errors: ['NOT_FOUND', 'FORBIDDEN'],
        errorDescriptions: {
          NOT_FOUND: 'A project of `project_ids` does not exist or you are not a member of it',
          FORBIDDEN: 'The request carries a scoped API key, which may not make keys (a key never makes a wider one)',
        },
      },
    }),
    delete: mutation({
      input: deleteApiKeyInput,
      output: z.void(),
      rest: {
        method: 'DELETE',
        path: '/auth/api-keys/{id}',
        status: 204,
        auth: 'user',
        summary: 'Revoke an API key',
        description: 'Revokes one of your own API keys, at once on every gateway. Not with a scoped API key (403).',
        tags: ['Auth'],
        errors: ['NOT_FOUND', 'FORBIDDEN'],
        errorDescriptions: {
          NOT_FOUND: "You have no API key with this id (another user's key answers the same)",
          FORBIDDEN: 'The request carries a scoped API key, which may not revoke keys (it may sign itself out: `POST /auth/logout`)',
        },
      },
    }),
  },
  credentials: {
    /** The gateway resolves a bearer token or API key to its user. */
    authenticate: query({ input: authenticateInput, output: authenticatedCallerSchema, internal: { callers: ['gateway'] } }),
    /**
     * A client (`@atrium/client`) trades a session token or API key for a session assertion signed
     * by identity, short-lived, sent with its calls and refreshed before it expires.
     */
    exchange: mutation({
      input: authenticateInput,
      output: z.object({ assertion: z.string(), expires_at: z.iso.datetime() }),
      internal: { callers: ['client'], auth: 'credential' },
    }),
  },
  invites: {
    list: query({
      input: listInvitesInput,
      output: invitePage,
      list: true,
      access: { action: 'invites.read', projectId: 'id' },
      rest: {
        method: 'GET',
        path: '/projects/{id}/invites',
        status: 200,
        auth: 'user',
        summary: "List a project's pending invites",
        description: "The project's pending, unexpired invites, a page at a time. Admin or owner; tokens are never shown again.",
        tags: ['Invites'],
      },
    }),
    create: mutation({
      input: createInviteInput,
      output: createdInviteSchema,
      access: { action: 'invites.manage', projectId: 'id' },
      rest: {
        method: 'POST',
        path: '/projects/{id}/invites',
        status: 201,
        auth: 'user',
        summary: 'Invite someone by e-mail',
        description:
          "Admin or owner. The response alone carries the token and accept link (only the token's SHA-256 is stored); the invite is valid `INVITE_TTL_DAYS` (7) days, and with `SMTP_URL` set the invitee gets an e-mail. 409 when that e-mail already has a pending invite to the project or is a member. Takes an `Idempotency-Key`.",
        tags: ['Invites'],
        errors: ['CONFLICT'],
        errorDescriptions: {
          CONFLICT: 'This e-mail (compared lower-cased) already has a pending invite to the project, or belongs to a member',
        },
      },
    }),
    delete: mutation({
      input: cancelInviteInput,
      output: z.void(),
      access: { action: 'invites.manage', projectId: 'id' },
      rest: {
        method: 'DELETE',
        path: '/projects/{id}/invites/{inviteId}',
        status: 204,
        auth: 'user',
        summary: 'Cancel a pending invite',
        description: 'Admin or owner. The invite becomes `cancelled` and its token stops working; only a pending invite can be cancelled.',
        tags: ['Invites'],
        errors: ['CONFLICT'],
        errorDescriptions: {
          NOT_FOUND: 'The project does not exist or you are not a member of it, or the project has no invite with this id',
          CONFLICT: 'The invite is not pending any more: accepted, cancelled, or being accepted right now',
        },
      },
    }),
    get: query({
      input: getInviteInput,
      output: invitePreviewSchema,
      rest: {
        method: 'GET',
        path: '/invites/{token}',
        status: 200,
        auth: 'public',
        rateLimit: 'secret',
        summary: 'Look an invite up by its token',
        description:
          "No sign-in needed: shows what the invitee needs — the project's names, the invited e-mail and role, the status (an expired invite reads `expired`), the expiry and the inviter's name. Unknown and malformed tokens are 404 alike. The token is a secret, so this is held to the low per-address limit (`AUTH_RATE_LIMIT_PER_MINUTE`).",
        tags: ['Invites'],
        errors: ['NOT_FOUND'],
        errorDescriptions: { NOT_FOUND: 'No invite has this token (unknown and malformed tokens answer alike)' },
      },
    }),
    accept: mutation({
      input: acceptInviteInput,
      output: memberSchema,
      // Joining a project widens what the account reaches: not for a key limited to some projects.
      scopedKeys: 'all-projects',
      rest: {
        method: 'POST',
        path: '/invites/{token}/accept',
        status: 200,
        auth: 'user',
        rateLimit: 'secret',
        summary: 'Accept an invite',
        description:
          'Any signed-in user whose e-mail is the invited one (403 otherwise) joins the project with the invited role; a user who already was a member keeps their role. Expired or cancelled → 410; already accepted → 409. Answers your new membership. 503 when projects cannot be reached: the invite stays pending, retry. Held to the low per-address limit (`AUTH_RATE_LIMIT_PER_MINUTE`).',
        tags: ['Invites'],
        errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'GONE'],
        errorDescriptions: {
          FORBIDDEN:
            "The invite was sent to another e-mail address than your account's; or the request carries a scoped API key (limited to projects, or read-only), which may not join projects",
          NOT_FOUND: 'No invite has this token (unknown and malformed tokens answer alike)',
          CONFLICT: 'The invite has already been accepted',
          GONE: 'The invite has expired or was cancelled',
          SERVICE_UNAVAILABLE:
            'The projects service could not be reached or did not answer in time: the invite stays pending (or is finished by a retry), so retry',
        },
      },
    }),
    mine: query({
      input: myInvitesInput,
      output: myInvitePage,
      list: true,
      // Names projects the account is not in: not for a key limited to some projects.
      scopedKeys: 'all-projects',
      rest: {
        method: 'GET',
        path: '/me/invites',
        status: 200,
        auth: 'user',
        summary: 'Your pending invites',
        description:
          "The pending, unexpired invites to your account's e-mail, each with the project's names, a page at a time. Any signed-in user.",
        tags: ['Invites'],
        errors: ['FORBIDDEN'],
        errorDescriptions: {
          FORBIDDEN: 'The request carries an API key limited to some projects (`project_ids`), which may not see invites to others',
        },
      },
    }),
  },
  users: {
    /** Profiles (e-mail, name) of many users at once: projects fills a page of members with one call. */
    lookup: query({ input: lookupUsersInput, output: lookupUsersOutput, internal: { callers: ['projects'], auth: 'user' } }),
  },
  health: healthOperations,
});
