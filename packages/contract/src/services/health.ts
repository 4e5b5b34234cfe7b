import { z } from 'zod';
import { query } from '../operation.js';

/** Every service answers this so the gateway's /readyz can see it (and its database). */
export const healthOperations = {
  check: query({
    input: z.void(),
    output: z.object({
      service: z.string(),
      database: z.literal('ok'),
      /** Events each of its consumers gave up on (see the service runtime's event consumer). */
      dead_letters: z.record(z.string(), z.number().int()).optional(),
    }),
    internal: { callers: ['gateway'] },
  }),
};
