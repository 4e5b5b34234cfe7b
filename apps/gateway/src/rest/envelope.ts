import { z } from 'zod';
import type { Operation } from '@atrium/contract';

/**
 * The success envelope (docs/api-contract.md, Envelopes) around an operation's output: `{success, data}`, lists add
 * `next_cursor`, and 204 operations have no body at all.
 */
export function envelopeSchema(operation: Operation): z.ZodType {
  if (operation.rest?.status === 204) return z.void();
  if (operation.list) {
    const page = operation.output as z.ZodObject;
    return z.object({ success: z.literal(true), ...page.shape });
  }
  return z.object({ success: z.literal(true), data: operation.output });
}

export function envelope(operation: Operation, output: unknown): unknown {
  if (operation.rest?.status === 204) return undefined;
  if (operation.list) return { success: true, ...(output as object) };
  return { success: true, data: output };
}
