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

/** What each project field means, said once for the object and the bodies that write it. */
const PROJECT_FIELD = {
  name: 'Unique name: 1–63 lowercase letters, digits and hyphens, starting and ending with a letter or digit',
  display_name: 'Name shown to people, 1–100 characters; defaults to `name`',
  description: 'Free text, up to 1000 characters, or null',
  color: 'Colour as `#RRGGBB`, or null',
  single_server_mode: 'Run every workload of the project on one server',
  default_server_id: 'The server new workloads go to, or null',
  auto_error_tracking_enabled: "Collect errors from the project's workloads automatically",
} as const;

export const projectSchema = z
  .object({
    id: uuidSchema.meta({ description: 'Project id' }),
    name: z.string().meta({ description: PROJECT_FIELD.name }),
    display_name: z.string().meta({ description: PROJECT_FIELD.display_name }),
    description: z.string().nullable().meta({ description: PROJECT_FIELD.description }),
    color: z.string().nullable().meta({ description: PROJECT_FIELD.color }),
    icon_path: z.string().nullable().meta({ description: "Where the project's icon is served, or null without one" }),
    single_server_mode: z.boolean().meta({ description: PROJECT_FIELD.single_server_mode }),
    default_server_id: uuidSchema.nullable().meta({ description: PROJECT_FIELD.default_server_id }),
    auto_error_tracking_enabled: z.boolean().meta({ description: PROJECT_FIELD.auto_error_tracking_enabled }),
    created_at: timestampSchema.meta({ description: 'When the project was created' }),
    updated_at: timestampSchema.meta({ description: 'When the project last changed' }),
  })
  .meta({ id: 'Project' });

export type Project = z.infer<typeof projectSchema>;

/** The writable fields; create and update differ only in what is required. */
const writableProjectFields = {
  name: slugNameSchema.meta({ description: PROJECT_FIELD.name }),
  display_name: displayNameSchema.meta({ description: PROJECT_FIELD.display_name }),
  description: descriptionSchema.nullable().meta({ description: PROJECT_FIELD.description }),
  color: colorSchema.nullable().meta({ description: PROJECT_FIELD.color }),
  single_server_mode: z.boolean().meta({ description: `${PROJECT_FIELD.single_server_mode}; default false` }),
  default_server_id: uuidSchema.nullable().meta({ description: PROJECT_FIELD.default_server_id }),
  auto_error_tracking_enabled: z.boolean().meta({ description: `${PROJECT_FIELD.auto_error_tracking_enabled}; default false` }),
};

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
  .strictObject({
    name: writableProjectFields.name,
    display_name: writableProjectFields.display_name.optional(),
    description: writableProjectFields.description.optional(),
    color: writableProjectFields.color.optional(),
    single_server_mode: writableProjectFields.single_server_mode.optional(),
    default_server_id: writableProjectFields.default_server_id.optional(),
    auto_error_tracking_enabled: writableProjectFields.auto_error_tracking_enabled.optional(),
  })
  .meta({ id: 'CreateProject', examples: [createProjectExample] });

export type CreateProjectInput = z.infer<typeof createProjectInput>;

/** PUT is partial: absent fields stay, `null` clears a nullable field. */
export const updateProjectInput = z.strictObject({
  ...projectIdParams,
  name: writableProjectFields.name.optional(),
  display_name: writableProjectFields.display_name.optional(),
  description: writableProjectFields.description.optional(),
  color: writableProjectFields.color.optional(),
  single_server_mode: writableProjectFields.single_server_mode.optional(),
  default_server_id: writableProjectFields.default_server_id.optional(),
  auto_error_tracking_enabled: writableProjectFields.auto_error_tracking_enabled.optional(),
});

export type UpdateProjectInput = z.infer<typeof updateProjectInput>;

export const getProjectInput = z.strictObject(projectIdParams);
export const deleteProjectInput = z.strictObject(projectIdParams);
export const listProjectsInput = z.strictObject(listQueryShape);
export const projectPage = pageOf(projectSchema);
