import { defineService } from '../operation.js';
import { healthOperations } from './health.js';

/** Environments' operations arrive with their own issue; the service already runs and reports health. */
export const environmentsContract = defineService('environments', {
  health: healthOperations,
});
