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

export const projectSchema = z
  .object({
    id: uuidSchema,
    name: z.string(),
    display_name: z.string(),
    description: z.string().nullable(),
    color: z.string().nullable(),
    icon_path: z.string().nullable(),
    single_server_mode: z.boolean(),
    default_server_id: uuidSchema.nullable(),
    auto_error_tracking_enabled: z.boolean(),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'Project' });

export type Project = z.infer<typeof projectSchema>;

/** The writable fields; create and update differ only in what is required. */
const writableProjectFields = {
  name: slugNameSchema,
  display_name: displayNameSchema,
  description: descriptionSchema.nullable(),
  color: colorSchema.nullable(),
  single_server_mode: z.boolean(),
  default_server_id: uuidSchema.nullable(),
  auto_error_tracking_enabled: z.boolean(),
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
