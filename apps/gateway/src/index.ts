export { buildGateway, gatewaySettings, API_PREFIX, BODY_LIMIT_BYTES } from './server.js';
export type { GatewayOptions } from './server.js';
export { checkReadiness } from './readiness.js';
export { gatewayEnvShape, loadGatewayConfig } from './env.js';
