export { startIdentityService } from './service.js';
export type { IdentityServiceOptions } from './service.js';
export { identityEnvShape, loadIdentityConfig } from './env.js';
export type { IdentityRouter } from './router.js';
