import { eventsEnvShape, loadConfig, serviceEnvShape, uploadsEnvShape } from '@atrium/service-runtime';

export const projectsEnvShape = { ...serviceEnvShape, ...eventsEnvShape, ...uploadsEnvShape };

export type ProjectsConfig = ReturnType<typeof loadProjectsConfig>;
export const loadProjectsConfig = (env?: NodeJS.ProcessEnv) => loadConfig(projectsEnvShape, env);
