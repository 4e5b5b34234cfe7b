export { startProjectsService } from './service.js';
export type { ProjectsServiceOptions } from './service.js';
export { projectsEnvShape, loadProjectsConfig } from './env.js';
export type { ProjectsRouter } from './router.js';
export { webhookSettings, webhooksEnvShape } from './webhooks/env.js';
export type { WebhookSettings } from './webhooks/env.js';
