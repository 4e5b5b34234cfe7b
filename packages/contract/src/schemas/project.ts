import { z } from 'zod';
import {
  colorSchema,
  descriptionSchema,
  displayNameSchema,
  listQueryShape,
  pageOf,
  slugNameSchema,
  timestampSchema,
  uuidSchema,
} from './common.js';
import { ifMatchShape, versionSchema } from './conditional.js';
import { bodyShape, readShape } from './fields.js';
import type { FieldDeclarations } from './fields.js';

/**
 * Every project field, declared once (see fields.ts): the Project object, the create body and
 * the update body are built from these entries.
 */
const PROJECT_FIELDS = {
  name: {
    read: z.string(),
    write: slugNameSchema,
    description: 'Unique name: 1–63 lowercase letters, digits and hyphens, starting and ending with a letter or digit',
  },
  display_name: { read: z.string(), write: displayNameSchema, description: 'Name shown to people, 1–100 characters; defaults to `name`' },
  description: {
    read: z.string().nullable(),
    write: descriptionSchema.nullable(),
    description: 'Free text, up to 1000 characters, or null',
  },
  color: { read: z.string().nullable(), write: colorSchema.nullable(), description: 'Colour as `#RRGGBB`, or null' },
  icon_path: { read: z.string().nullable(), description: "Where the project's icon is served, or null without one" },
  single_server_mode: {
    read: z.boolean(),
    write: z.boolean(),
    description: 'Run every workload of the project on one server',
    writeNote: 'default false',
  },
  default_server_id: { read: uuidSchema.nullable(), write: uuidSchema.nullable(), description: 'The server new workloads go to, or null' },
  auto_error_tracking_enabled: {
    read: z.boolean(),
    write: z.boolean(),
    description: "Collect errors from the project's workloads automatically",
    writeNote: 'default false',
  },
  /** Read-only: the project's ETag (docs/api-contract.md, Conditional requests). */
  version: { read: versionSchema },
} satisfies FieldDeclarations;

export const projectSchema = z
  .object({
    id: uuidSchema.meta({ description: 'Project id' }),
    ...readShape(PROJECT_FIELDS),
    created_at: timestampSchema.meta({ description: 'When the project was created' }),
    updated_at: timestampSchema.meta({ description: 'When the project last changed' }),
  })
  .meta({ id: 'Project' });

export type Project = z.infer<typeof projectSchema>;

export const projectIdParams = { id: uuidSchema.meta({ description: 'Project id' }) };

/** The spec's example request (spec/projects-api.txt), shown in the OpenAPI document. */
export const createProjectExample = {
  name: 'my-saas',
  display_name: 'My SaaS App',
  description: 'Production SaaS application',
  color: '#3B82F6',
  single_server_mode: false,
  default_server_id: '550e8400-e29b-41d4-a716-446655440000',
} as const;

export const createProjectInput = z
  .strictObject(bodyShape(PROJECT_FIELDS, ['name']))
  .meta({ id: 'CreateProject', examples: [createProjectExample] });

export type CreateProjectInput = z.infer<typeof createProjectInput>;

/** PUT is partial: absent fields stay, `null` clears a nullable field. */
export const updateProjectInput = z.strictObject({ ...projectIdParams, ...bodyShape(PROJECT_FIELDS), ...ifMatchShape });

export type UpdateProjectInput = z.infer<typeof updateProjectInput>;

export const getProjectInput = z.strictObject(projectIdParams);
export const deleteProjectInput = z.strictObject({ ...projectIdParams, ...ifMatchShape });
export const listProjectsInput = z.strictObject(listQueryShape);
export const projectPage = pageOf(projectSchema);
