export { startEnvironmentsService } from './service.js';
export type { EnvironmentsServiceOptions } from './service.js';
export { environmentsEnvShape, environmentsOwnEnvShape, loadEnvironmentsConfig } from './env.js';
export type { EnvironmentsRouter } from './router.js';
