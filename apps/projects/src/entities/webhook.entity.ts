import { defineEntity } from '@mikro-orm/core';
import { columns } from '@atrium/service-runtime';
import type { InferEntity } from '@mikro-orm/core';
import { WEBHOOK_DELIVERY_STATUSES } from '@atrium/contract';
import { Project } from './project.entity.js';

/**
 * A project's webhook: where its events are POSTed, which of them, and the signing secret —
 * sealed with ENCRYPTION_KEY (service-runtime's SecretCipher, bound to the webhook's id), never
 * stored in clear. After a rotation the previous secret keeps signing until `previousSecretExpiresAt`.
 */
export const Webhook = defineEntity({
  name: 'Webhook',
  tableName: 'webhooks',
  properties: (p) => ({
    id: columns.id(),
    project: p.manyToOne(Project).deleteRule('cascade'),
    url: p.text(),
    /** Event types delivered; empty: every one. */
    events: p.array(),
    description: p.text().nullable(),
    secretCiphertext: p.blob(),
    secretKeyId: p.string().length(16),
    previousSecretCiphertext: p.blob().nullable(),
    previousSecretKeyId: p.string().length(16).nullable(),
    previousSecretExpiresAt: p.datetime(3).nullable(),
    createdAt: columns.createdAt(),
  }),
  indexes: [{ properties: ['project', 'createdAt', 'id'] }],
});
export type IWebhook = InferEntity<typeof Webhook>;

/**
 * One attempt at delivering one event to one webhook: the delivery log and, while `pending`,
 * the work queue (the worker claims due rows with `for update skip locked`). A failed attempt
 * that has retries left is followed by a pending row with the next attempt number.
 */
export const WebhookDelivery = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_deliveries',
  properties: (p) => ({
    id: columns.id(),
    webhook: p.manyToOne(Webhook).deleteRule('cascade'),
    /** The webhook's project: the worker bounds each project's deliveries in flight. */
    projectId: p.uuid(),
    eventId: p.uuid(),
    eventType: p.string().length(200),
    attempt: p.integer(),
    status: p.enum([...WEBHOOK_DELIVERY_STATUSES]),
    /** The JSON body sent, `{type, timestamp, data}`: the same bytes on every attempt. */
    body: p.text(),
    /** While pending: when it is due (or, claimed, when its claim lapses). */
    nextAttemptAt: p.datetime(3).nullable(),
    responseStatus: p.integer().nullable(),
    error: p.text().nullable(),
    durationMs: p.integer().nullable(),
    createdAt: columns.createdAt(),
  }),
  uniques: [{ properties: ['webhook', 'eventId', 'attempt'] }],
  indexes: [{ properties: ['webhook', 'createdAt', 'id'] }, { properties: ['status', 'nextAttemptAt'] }, { properties: ['createdAt'] }],
});
export type IWebhookDelivery = InferEntity<typeof WebhookDelivery>;
