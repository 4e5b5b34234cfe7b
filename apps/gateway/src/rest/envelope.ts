import { z } from 'zod';
import type { Operation } from '@atrium/contract';

/**
 * The success envelope (docs/api-contract.md, Envelopes) around an operation's output: `{success, data}`, lists add
 * `next_cursor`, and 204 operations have no body at all.
 */
export function envelopeSchema(operation: Operation): z.ZodType {
  if (operation.rest?.status === 204) return z.void();
  const success = z.literal(true).meta({ description: 'Always true for a success' });
  if (operation.list) {
    const page = operation.output as z.ZodObject<{ data: z.ZodType; next_cursor: z.ZodType }>;
    return z.object({
      success,
      data: page.shape.data.meta({ description: 'This page of the list, oldest first' }),
      next_cursor: page.shape.next_cursor.meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
    });
  }
  return z.object({ success, data: operation.output });
}

/** The success envelope itself, around a service's output: what the REST adapter sends as JSON. */
export function envelope(operation: Operation, output: unknown): unknown {
  if (operation.rest?.status === 204) return undefined;
  if (operation.list) return { success: true, ...(output as object) };
  return { success: true, data: output };
}
