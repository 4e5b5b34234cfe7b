import { z } from 'zod';
import { query } from '../operation.js';

/** Every service answers this so the gateway's /readyz can see it (and its database). */
export const healthOperations = {
  check: query({
    input: z.void(),
    output: z.object({ service: z.string(), database: z.literal('ok') }),
    internal: { callers: ['gateway'] },
  }),
};
