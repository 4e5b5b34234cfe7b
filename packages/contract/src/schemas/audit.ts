import { z } from 'zod';
import { eventTypeSchema } from '../events.js';
import { listQueryShape, pageOf, timestampSchema, uuidSchema } from './common.js';

/** One entry of a project's audit trail: a domain event as every service recorded it. */
export const projectEventSchema = z
  .object({
    id: uuidSchema.meta({ description: 'The event id (the same in every service that received it)' }),
    type: eventTypeSchema.meta({ description: 'What happened: `<service>.v1.<past-tense>`' }),
    occurred_at: timestampSchema.meta({ description: 'When the change was committed' }),
    actor_id: uuidSchema.nullable().meta({ description: 'The user who made the change; null when nobody asked for it directly' }),
    request_id: z.string().nullable().meta({ description: 'The `x-request-id` of the request that made the change' }),
    data: z
      .record(z.string(), z.unknown())
      .meta({ description: "What changed: ids, names, roles, the names of changed fields — never a variable's value" }),
  })
  .meta({ id: 'ProjectEvent' });
export type ProjectEventDto = z.infer<typeof projectEventSchema>;
export const projectEventPage = pageOf(projectEventSchema);

export const listProjectEventsInput = z.strictObject({
  id: uuidSchema.meta({ description: 'Project id' }),
  ...listQueryShape,
  type: eventTypeSchema.meta({ description: 'Only events of this type' }).optional(),
});
