export { startSystem } from './system.js';
export type { RunningSystem } from './system.js';
export { loadStandaloneConfig, standaloneEnvShape } from './env.js';
