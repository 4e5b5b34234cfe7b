import { z } from 'zod';
import type { Operation } from '@atrium/contract';
import { resultTextOf } from '@atrium/nats-trpc';

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

export function envelope(operation: Operation, output: unknown): unknown {
  if (operation.rest?.status === 204) return undefined;
  if (operation.list) return { success: true, ...(output as object) };
  return { success: true, data: output };
}

/**
 * `JSON.stringify(envelope(operation, output))`, made from the JSON text the output was read
 * from (see nats-trpc's `readReply`) instead of serialising the value again; undefined when
 * the transport kept no text for it, or the operation answers without a body.
 */
export function splicedEnvelope(operation: Operation, output: unknown): string | undefined {
  if (operation.rest?.status === 204) return undefined;
  const text = resultTextOf(output);
  if (text === undefined) return undefined;
  if (!operation.list) return `{"success":true,"data":${text}}`;
  // A page is an object with at least `data` and `next_cursor`: its members follow `success`.
  return text.startsWith('{"') ? `{"success":true,${text.slice(1)}` : undefined;
}
