import { z } from 'zod';
import { eventTypeSchema } from '../events.js';
import { descriptionSchema, listQueryShape, pageOf, textSchema, timestampSchema, uuidSchema } from './common.js';
import { projectIdParams } from './project.js';

/** A webhook's endpoint: absolute http(s), at most 2,000 characters. Where it may point is the service's check (422). */
export const webhookUrlSchema = textSchema()
  .max(2000)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an absolute https:// or http:// URL')
  .meta({
    description: 'Where deliveries are POSTed: an absolute `https://` (or `http://`) URL',
    example: 'https://ci.example.com/hooks/atrium',
  });

export const webhookEventsSchema = z
  .array(eventTypeSchema)
  .max(100)
  .meta({
    description: 'The event types delivered, as the audit trail names them; empty: every event of the project',
    example: ['environments.v1.created', 'projects.v1.updated'],
  });

/** A webhook as listed: never its secret. */
export const webhookSchema = z
  .object({
    id: uuidSchema.meta({ description: 'The webhook id (`{hookId}` in its routes)' }),
    url: z.string().meta({ description: 'Where deliveries are POSTed' }),
    events: z.array(eventTypeSchema).meta({ description: 'The event types delivered; empty: every event of the project' }),
    description: z.string().nullable().meta({ description: 'What the webhook is for' }),
    created_at: timestampSchema.meta({ description: 'When the webhook was created' }),
  })
  .meta({ id: 'Webhook' });
export type WebhookDto = z.infer<typeof webhookSchema>;
export const webhookPage = pageOf(webhookSchema);

const secretSchema = z.string().meta({
  description:
    'The signing secret, `whsec_` and the base64 of 24 random bytes: shown in this answer only. Verify deliveries with it (Standard Webhooks)',
  example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
});

/** A webhook as created (or its secret rotated): the one time its secret is shown. */
export const webhookWithSecretSchema = webhookSchema.extend({ secret: secretSchema }).meta({ id: 'WebhookWithSecret' });
export type WebhookWithSecretDto = z.infer<typeof webhookWithSecretSchema>;

export const createWebhookInput = z
  .strictObject({
    ...projectIdParams,
    url: webhookUrlSchema,
    events: webhookEventsSchema.optional(),
    description: descriptionSchema.meta({ description: 'What the webhook is for, at most 1,000 characters' }).optional(),
  })
  .meta({
    examples: [{ url: 'https://ci.example.com/hooks/atrium', events: ['environments.v1.created'], description: 'Deploy previews' }],
  });
export type CreateWebhookInput = z.infer<typeof createWebhookInput>;

const webhookIdParams = { ...projectIdParams, hookId: uuidSchema.meta({ description: "Webhook id (the webhook object's `id`)" }) };

export const listWebhooksInput = z.strictObject({ ...projectIdParams, ...listQueryShape });
export const webhookIdInput = z.strictObject(webhookIdParams);

/** Each event is sent to every webhook of its project: this bounds the fan-out. */
export const MAX_WEBHOOKS_PER_PROJECT = 25;

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;

/** One attempt at delivering one event to one webhook. */
export const webhookDeliverySchema = z
  .object({
    id: uuidSchema.meta({ description: 'The attempt id' }),
    event_id: uuidSchema.meta({ description: 'The event delivered: the `webhook-id` header, the same on every attempt' }),
    event_type: eventTypeSchema.meta({ description: 'Its type' }),
    attempt: z.number().int().min(1).meta({ description: '1 for the first attempt, 2 for the first retry, …' }),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES).meta({
      description:
        '`pending`: not made yet (due, or waiting for its retry time); `succeeded`: the endpoint answered 2xx; `failed`: it did not (a later attempt, if any, is listed above it)',
    }),
    response_status: z.number().int().nullable().meta({ description: "The endpoint's HTTP status; null when it gave none" }),
    error: z
      .string()
      .nullable()
      .meta({ description: 'Why the attempt failed (time-out, connection error, refused address, non-2xx status)' }),
    duration_ms: z.number().int().nullable().meta({ description: 'How long the attempt took; null while pending' }),
    created_at: timestampSchema.meta({ description: 'When the attempt was scheduled' }),
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDeliveryDto = z.infer<typeof webhookDeliverySchema>;
export const webhookDeliveryPage = pageOf(webhookDeliverySchema);

export const listWebhookDeliveriesInput = z.strictObject({ ...webhookIdParams, ...listQueryShape });
