import { eventsEnvShape, loadConfig, serviceEnvShape } from '@atrium/service-runtime';

export const projectsEnvShape = { ...serviceEnvShape, ...eventsEnvShape };

export type ProjectsConfig = ReturnType<typeof loadProjectsConfig>;
export const loadProjectsConfig = (env?: NodeJS.ProcessEnv) => loadConfig(projectsEnvShape, env);
