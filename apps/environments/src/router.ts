import { environmentsContract } from '@atrium/contract';
import { healthCheck, implementService } from '@atrium/service-runtime';

export function createEnvironmentsRouter() {
  return implementService(environmentsContract, {
    health: { check: healthCheck('environments') },
  });
}

export type EnvironmentsRouter = ReturnType<typeof createEnvironmentsRouter>;
