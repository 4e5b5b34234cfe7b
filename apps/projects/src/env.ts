import { encryptionEnvShape, eventsEnvShape, loadConfig, serviceEnvShape, uploadsEnvShape } from '@atrium/service-runtime';
import { webhooksEnvShape } from './webhooks/env.js';

/** ENCRYPTION_KEY seals webhooks' signing secrets, as environments' secret variables. */
export const projectsEnvShape = { ...serviceEnvShape, ...eventsEnvShape, ...uploadsEnvShape, ...encryptionEnvShape, ...webhooksEnvShape };

export type ProjectsConfig = ReturnType<typeof loadProjectsConfig>;
export const loadProjectsConfig = (env?: NodeJS.ProcessEnv) => loadConfig(projectsEnvShape, env);
