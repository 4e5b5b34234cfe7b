export { startEnvironmentsService } from './service.js';
export type { EnvironmentsServiceOptions } from './service.js';
export { environmentsEnvShape, environmentsOwnEnvShape, encryptionKeys, loadEnvironmentsConfig } from './env.js';
export { generateKey as generateEncryptionKey } from './secrets/cipher.js';
export type { EnvironmentsRouter } from './router.js';
