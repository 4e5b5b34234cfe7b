import { randomUUID } from 'node:crypto';
import { DomainError, authorizeProjectRole, beforeCursor, conflict, notFound, toPage } from '@atrium/service-runtime';
import type { SecretCipher } from '@atrium/service-runtime';
import { MAX_WEBHOOKS_PER_PROJECT } from '@atrium/contract';
import type { EventType, WebhookDeliveryDto, WebhookDto } from '@atrium/contract';
import { Webhook, WebhookDelivery } from '../entities/index.js';
import type { IWebhook, IWebhookDelivery } from '../entities/index.js';
import type { Handler } from '../deps.js';
import { findProjectWithCallerRole } from '../projects.repository.js';
import { RefusedUrlError, resolveAllowed } from './address-guard.js';
import { DEFAULT_WEBHOOK_SETTINGS } from './env.js';
import type { WebhookSettings } from './env.js';
import { PREVIOUS_SECRET_MS, secretContext } from './secrets.js';
import { newWebhookSecret } from './signing.js';

export interface WebhookDeps {
  cipher?: SecretCipher;
  webhooks?: WebhookSettings;
}

function cipherOf(deps: WebhookDeps): SecretCipher {
  if (!deps.cipher) throw new Error('Webhooks need ENCRYPTION_KEY: this projects service was started without a cipher');
  return deps.cipher;
}

const FIELDS = ['id', 'project', 'url', 'events', 'description', 'createdAt'] as const;

function toWebhookDto(row: Pick<IWebhook, (typeof FIELDS)[number]>): WebhookDto {
  return {
    id: row.id,
    url: row.url,
    events: row.events as EventType[],
    description: row.description ?? null,
    created_at: row.createdAt.toISOString(),
  };
}

function toDeliveryDto(row: IWebhookDelivery): WebhookDeliveryDto {
  return {
    id: row.id,
    event_id: row.eventId,
    event_type: row.eventType as EventType,
    attempt: row.attempt,
    status: row.status,
    response_status: row.responseStatus ?? null,
    error: row.error ?? null,
    duration_ms: row.durationMs ?? null,
    created_at: row.createdAt.toISOString(),
  };
}

/** The URL checked against the SSRF guard: 422 when its host resolves to an address webhooks may not reach. */
async function checkUrl(url: string, settings: WebhookSettings): Promise<void> {
  try {
    await resolveAllowed(new URL(url), settings.allowPrivateUrls);
  } catch (error) {
    if (error instanceof RefusedUrlError) throw new DomainError('UNPROCESSABLE_CONTENT', error.message);
    throw error;
  }
}

async function findWebhook(ctx: Parameters<Handler<'webhooks', 'delete'>>[1], projectId: string, hookId: string): Promise<IWebhook> {
  const webhook = await ctx.em.findOne(Webhook, { id: hookId, project: projectId });
  if (!webhook) throw notFound('Webhook');
  return webhook;
}

/** Admin or owner: a new webhook; its secret is sealed and answered this once. */
export const createWebhook =
  (deps: WebhookDeps): Handler<'webhooks', 'create'> =>
  async (input, ctx) => {
    // The project row stays locked until the commit: two creations cannot both pass the count.
    authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
    if ((await ctx.em.count(Webhook, { project: input.id })) >= MAX_WEBHOOKS_PER_PROJECT)
      throw conflict(`The project has ${MAX_WEBHOOKS_PER_PROJECT} webhooks already, the most one may have`);
    await checkUrl(input.url, deps.webhooks ?? DEFAULT_WEBHOOK_SETTINGS);
    const id = randomUUID();
    const secret = newWebhookSecret();
    const sealed = cipherOf(deps).seal(secret, secretContext(id, 'current'));
    const events = [...new Set(input.events ?? [])];
    const createdAt = new Date();
    await ctx.em.insert(Webhook, {
      id,
      project: input.id,
      url: input.url,
      events,
      description: input.description ?? null,
      secretCiphertext: sealed.ciphertext,
      secretKeyId: sealed.keyId,
      createdAt,
    });
    ctx.events.record('projects.v1.webhook_created', { project_id: input.id, webhook_id: id, url: input.url, events });
    return {
      ...toWebhookDto({ id, project: input.id as never, url: input.url, events, description: input.description ?? null, createdAt }),
      secret,
    };
  };

/** Admin or owner: the project's webhooks, newest first; never a secret. */
export const listWebhooks = (): Handler<'webhooks', 'list'> => async (input, ctx) => {
  authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
  const rows = await ctx.em.find(
    Webhook,
    { project: input.id, ...beforeCursor(input.cursor) },
    { fields: [...FIELDS], orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: input.limit + 1 },
  );
  return toPage(rows, input.limit, toWebhookDto);
};

/** Admin or owner: the webhook goes, its pending deliveries and its log with it (foreign keys, on delete cascade). */
export const deleteWebhook = (): Handler<'webhooks', 'delete'> => async (input, ctx) => {
  authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
  const webhook = await findWebhook(ctx, input.id, input.hookId);
  await ctx.em.nativeDelete(Webhook, { id: webhook.id });
  ctx.events.record('projects.v1.webhook_deleted', { project_id: input.id, webhook_id: webhook.id, url: webhook.url });
};

/** Admin or owner: a new secret; the one it replaces signs beside it for 24 hours. */
export const rotateWebhookSecret =
  (deps: WebhookDeps): Handler<'webhooks', 'rotateSecret'> =>
  async (input, ctx) => {
    authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
    const webhook = await findWebhook(ctx, input.id, input.hookId);
    const current = cipherOf(deps).open(
      { keyId: webhook.secretKeyId, ciphertext: webhook.secretCiphertext },
      secretContext(webhook.id, 'current'),
    );
    const secret = newWebhookSecret();
    const sealed = cipherOf(deps).seal(secret, secretContext(webhook.id, 'current'));
    const previous = cipherOf(deps).seal(current, secretContext(webhook.id, 'previous'));
    await ctx.em.nativeUpdate(
      Webhook,
      { id: webhook.id },
      {
        secretCiphertext: sealed.ciphertext,
        secretKeyId: sealed.keyId,
        previousSecretCiphertext: previous.ciphertext,
        previousSecretKeyId: previous.keyId,
        previousSecretExpiresAt: new Date(Date.now() + PREVIOUS_SECRET_MS),
      },
    );
    ctx.events.record('projects.v1.webhook_secret_rotated', { project_id: input.id, webhook_id: webhook.id });
    return { ...toWebhookDto(webhook), secret };
  };

/** Admin or owner: the webhook's delivery attempts, newest first. */
export const listWebhookDeliveries = (): Handler<'webhooks', 'deliveries'> => async (input, ctx) => {
  authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
  await findWebhook(ctx, input.id, input.hookId);
  const rows = await ctx.em.find(
    WebhookDelivery,
    { webhook: input.hookId, ...beforeCursor(input.cursor) },
    { exclude: ['body'], orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: input.limit + 1 },
  );
  return toPage(rows as IWebhookDelivery[], input.limit, toDeliveryDto);
};
