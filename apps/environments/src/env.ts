import { loadConfig, serviceEnvShape } from '@atrium/service-runtime';

export const environmentsEnvShape = { ...serviceEnvShape };

export type EnvironmentsConfig = ReturnType<typeof loadEnvironmentsConfig>;
export const loadEnvironmentsConfig = (env?: NodeJS.ProcessEnv) => loadConfig(environmentsEnvShape, env);
