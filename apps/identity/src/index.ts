export { startIdentityService } from './service.js';
export { TEST_ONLY_SCRYPT } from './security/passwords.js';
export type { ScryptParams } from './security/passwords.js';
export type { IdentityServiceOptions } from './service.js';
export { identityEnvShape, loadIdentityConfig, mailSettings } from './env.js';
export { smtpTransport } from './mail/smtp.js';
export type { IdentityMailOptions } from './mail/start-mail.js';
export type { IdentityRouter } from './router.js';
