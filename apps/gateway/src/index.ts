export { buildGateway, gatewaySettings, API_PREFIX, BODY_LIMIT_BYTES } from './server.js';
export type { GatewayOptions } from './server.js';
export { cachedReadiness, checkReadiness, READINESS_CACHE_MS } from './readiness.js';
export type { Readiness } from './readiness.js';
export { gatewayEnvShape, loadGatewayConfig } from './env.js';
export { MAX_JSON_DEPTH } from './http/json-body.js';
export { stopGateway, stopTimings } from './http/stopping.js';
