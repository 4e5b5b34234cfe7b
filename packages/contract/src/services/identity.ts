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
        tags: ['Auth'],
        errors: ['CONFLICT', 'FORBIDDEN'],
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
        tags: ['Auth'],
        errors: ['UNAUTHORIZED'],
      },
    }),
    logout: mutation({
      // No body needed: the credential of the request is what is revoked.
      input: noInput.optional(),
      output: z.void(),
      rest: {
        method: 'POST',
        path: '/auth/logout',
        status: 204,
        auth: 'user',
        summary: 'Revoke the credential used for this request',
        tags: ['Auth'],
      },
    }),
    me: query({
      input: noInput,
      output: userSchema,
      rest: { method: 'GET', path: '/auth/me', status: 200, auth: 'user', summary: 'The signed-in user', tags: ['Auth'] },
    }),
    updateMe: mutation({
      input: updateMeInput,
      password: 'verifies',
      output: userSchema,
      rest: { method: 'PUT', path: '/auth/me', status: 200, auth: 'user', summary: 'Change your name or password', tags: ['Auth'] },
    }),
  },
  apiKeys: {
    list: query({
      input: z.strictObject(listQueryShape),
      output: pageOf(apiKeySchema),
      list: true,
      rest: { method: 'GET', path: '/auth/api-keys', status: 200, auth: 'user', summary: 'List your API keys', tags: ['Auth'] },
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
        tags: ['Auth'],
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
        tags: ['Auth'],
        errors: ['NOT_FOUND'],
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
      access: { action: 'invites.manage', projectId: 'id' },
      rest: {
        method: 'GET',
        path: '/projects/{id}/invites',
        status: 200,
        auth: 'user',
        summary: "List a project's pending invites",
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
          'Admin or owner. The response alone carries the token and accept link. 409 when that e-mail already has a pending invite to the project or is a member.',
        tags: ['Invites'],
        errors: ['CONFLICT'],
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
        tags: ['Invites'],
        errors: ['CONFLICT'],
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
        description: 'No sign-in needed: shows what the invitee needs. Unknown and malformed tokens are 404 alike.',
        tags: ['Invites'],
        errors: ['NOT_FOUND'],
      },
    }),
    accept: mutation({
      input: acceptInviteInput,
      output: memberSchema,
      rest: {
        method: 'POST',
        path: '/invites/{token}/accept',
        status: 200,
        auth: 'user',
        rateLimit: 'secret',
        summary: 'Accept an invite',
        description:
          'Your e-mail must be the invited one (403). Expired or cancelled → 410; already accepted → 409. Answers your new membership. 503 when projects cannot be reached: the invite stays pending, retry.',
        tags: ['Invites'],
        errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'GONE'],
      },
    }),
    mine: query({
      input: myInvitesInput,
      output: myInvitePage,
      list: true,
      rest: { method: 'GET', path: '/me/invites', status: 200, auth: 'user', summary: 'Your pending invites', tags: ['Invites'] },
    }),
  },
  users: {
    /** Profiles (e-mail, name) of many users at once: projects fills a page of members with one call. */
    lookup: query({ input: lookupUsersInput, output: lookupUsersOutput, internal: { callers: ['projects'], auth: 'user' } }),
  },
  health: healthOperations,
});
