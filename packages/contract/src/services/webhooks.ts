import { z } from 'zod';
import {
  MAX_WEBHOOKS_PER_PROJECT,
  createWebhookInput,
  listWebhookDeliveriesInput,
  listWebhooksInput,
  webhookDeliveryPage,
  webhookIdInput,
  webhookPage,
  webhookWithSecretSchema,
} from '../schemas/webhook.js';
import { mutation, query } from '../operation.js';

const signing =
  'Each delivery is a `POST` of `{type, timestamp, data}` (JSON) with the headers `webhook-id` (the event id, the same on every retry), ' +
  '`webhook-timestamp` (unix seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`), as Standard Webhooks define them.';

const refusedUrl =
  'The URL is refused: its host resolves to a loopback, private, link-local, unique-local or unspecified address (or does not resolve); ' +
  'or this Idempotency-Key was already used with a different request body';

/** A project's webhooks (part of the projects contract): admin or owner, every one. */
export const webhookOperations = {
  list: query({
    input: listWebhooksInput,
    output: webhookPage,
    list: true,
    access: { action: 'webhooks.read', projectId: 'id' },
    rest: {
      method: 'GET',
      path: '/projects/{id}/webhooks',
      status: 200,
      auth: 'user',
      summary: "List a project's webhooks",
      description: 'Admin or owner. Newest first, a page at a time; never their secrets.',
      tags: ['Webhooks'],
    },
  }),
  create: mutation({
    input: createWebhookInput,
    output: webhookWithSecretSchema,
    access: { action: 'webhooks.manage', projectId: 'id' },
    rest: {
      method: 'POST',
      path: '/projects/{id}/webhooks',
      status: 201,
      auth: 'user',
      summary: 'Create a webhook',
      description:
        'Admin or owner. Every event of the project whose type is in `events` (all of them when it is absent or empty) is delivered to `url`, ' +
        `at least once, retried with growing delays for more than a day until the endpoint answers 2xx. ${signing} ` +
        `The answer holds the signing \`secret\`: it is shown only here. At most ${MAX_WEBHOOKS_PER_PROJECT} per project. Takes an \`Idempotency-Key\`.`,
      tags: ['Webhooks'],
      errors: ['UNPROCESSABLE_CONTENT', 'CONFLICT'],
      errorDescriptions: {
        UNPROCESSABLE_CONTENT: refusedUrl,
        CONFLICT: `The project has ${MAX_WEBHOOKS_PER_PROJECT} webhooks already, the most one may have`,
      },
    },
  }),
  delete: mutation({
    input: webhookIdInput,
    output: z.void(),
    access: { action: 'webhooks.manage', projectId: 'id' },
    rest: {
      method: 'DELETE',
      path: '/projects/{id}/webhooks/{hookId}',
      status: 204,
      auth: 'user',
      summary: 'Delete a webhook',
      description: 'Admin or owner. Its pending deliveries are dropped with it, and its delivery log.',
      tags: ['Webhooks'],
      errors: ['NOT_FOUND'],
      errorDescriptions: { NOT_FOUND: 'The project does not exist or you are not a member of it, or it has no webhook with this id' },
    },
  }),
  rotateSecret: mutation({
    input: webhookIdInput,
    output: webhookWithSecretSchema,
    access: { action: 'webhooks.manage', projectId: 'id' },
    rest: {
      method: 'POST',
      path: '/projects/{id}/webhooks/{hookId}/rotate-secret',
      status: 200,
      auth: 'user',
      summary: "Rotate a webhook's signing secret",
      description:
        'Admin or owner. Answers the webhook with a new `secret` (shown only here). For 24 hours the previous secret signs too: ' +
        '`webhook-signature` then carries both signatures, space-separated, so receivers can switch without missing a delivery.',
      tags: ['Webhooks'],
      errors: ['NOT_FOUND'],
      errorDescriptions: { NOT_FOUND: 'The project does not exist or you are not a member of it, or it has no webhook with this id' },
    },
  }),
  deliveries: query({
    input: listWebhookDeliveriesInput,
    output: webhookDeliveryPage,
    list: true,
    access: { action: 'webhooks.read', projectId: 'id' },
    rest: {
      method: 'GET',
      path: '/projects/{id}/webhooks/{hookId}/deliveries',
      status: 200,
      auth: 'user',
      summary: "A webhook's delivery log",
      description:
        'Admin or owner. Every attempt at delivering an event, newest first, a page at a time: a retried event has one entry per attempt. Kept as long as the audit trail.',
      tags: ['Webhooks'],
      errors: ['NOT_FOUND'],
      errorDescriptions: { NOT_FOUND: 'The project does not exist or you are not a member of it, or it has no webhook with this id' },
    },
  }),
};
