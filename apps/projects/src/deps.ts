import type { HandlerOf, projectsContract } from '@atrium/contract';
import type { UploadStore } from '@atrium/uploads';
import type { SecretCipher, ServiceContext } from '@atrium/service-runtime';
import type { WebhookSettings } from './webhooks/env.js';

export interface ProjectsDeps {
  uploads: UploadStore;
  /** Seals webhooks' signing secrets (ENCRYPTION_KEY); without it webhooks cannot be created (routers built by tests). */
  cipher?: SecretCipher;
  webhooks?: WebhookSettings;
}

type Ops = (typeof projectsContract)['operations'];
/** The handler type of one projects operation, e.g. `Handler<'projects', 'get'>`. */
export type Handler<R extends keyof Ops, V extends keyof Ops[R]> = HandlerOf<typeof projectsContract, R, V, ServiceContext>;
