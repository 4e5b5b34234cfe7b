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

export const ENVIRONMENT_TYPES = ['production', 'staging', 'development', 'preview', 'testing'] as const;
export const environmentTypeSchema = z.enum(ENVIRONMENT_TYPES).meta({ id: 'EnvironmentType', description: 'What the environment is for' });
export type EnvironmentType = z.infer<typeof environmentTypeSchema>;

/** The environment every project is created with (docs/api-contract.md, Environments). */
export const DEFAULT_ENVIRONMENT = { name: 'production', type: 'production' } as const;

export const GIT_BRANCH_MAX = 255;
/**
 * A branch name as git accepts it, loosely: no whitespace, control characters or the
 * characters git forbids in ref names (`~^:?*[\`); the deploying tool has the final word.
 */
export const gitBranchSchema = z
  .string()
  .min(1)
  .max(GIT_BRANCH_MAX)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  .regex(/^[^\s\x00-\x1f\x7f~^:?*[\\]+$/, 'must be a git branch name (no spaces, control characters or ~^:?*[\\)')
  .meta({ description: 'Git branch deployed to this environment', example: 'develop' });

/**
 * Every environment field, declared once (see fields.ts): the Environment object and its create,
 * update and clone bodies are built from these entries.
 */
const ENVIRONMENT_FIELDS = {
  project_id: { read: uuidSchema.meta({ description: 'The project this environment belongs to' }) },
  name: {
    read: z.string().meta({ description: 'Unique within the project' }),
    write: slugNameSchema.meta({ description: 'Lowercase letters, digits and hyphens; unique within the project' }),
  },
  display_name: {
    read: z.string().meta({ description: 'Human-readable name; defaults to `name`' }),
    write: displayNameSchema.meta({ description: 'Human-readable name; defaults to `name`' }),
  },
  type: { read: environmentTypeSchema, write: environmentTypeSchema },
  description: {
    read: z.string().nullable().meta({ description: 'Free text' }),
    write: descriptionSchema.nullable().meta({ description: 'Free text, up to 1000 characters' }),
  },
  color: { read: z.string().nullable().meta({ description: '#RRGGBB' }), write: colorSchema.nullable().meta({ description: '#RRGGBB' }) },
  git_branch: {
    read: z.string().nullable().meta({ description: 'Git branch deployed to this environment' }),
    write: gitBranchSchema.nullable().meta({ description: 'Git branch deployed to this environment; null for none' }),
  },
  is_default: { read: z.boolean().meta({ description: 'Exactly one environment of a project is its default' }) },
  /** Read-only: the environment's ETag (docs/api-contract.md, Conditional requests); losing the default is a change too. */
  version: { read: versionSchema },
} satisfies FieldDeclarations;

export const environmentSchema = z
  .object({ id: uuidSchema, ...readShape(ENVIRONMENT_FIELDS), created_at: timestampSchema, updated_at: timestampSchema })
  .meta({ id: 'Environment' });
export type Environment = z.infer<typeof environmentSchema>;
export const environmentPage = pageOf(environmentSchema);

const projectIdParam = { projectId: uuidSchema.meta({ description: 'Project id' }) };
const envIdParams = { ...projectIdParam, envId: uuidSchema.meta({ description: 'Environment id' }) };

/** The spec's example (spec/projects-api.txt), shown in the OpenAPI document. */
export const createEnvironmentExample = {
  name: 'staging',
  display_name: 'Staging',
  type: 'staging',
  description: 'Pre-production environment',
  color: '#F59E0B',
  git_branch: 'develop',
} as const;

export const createEnvironmentInput = z
  .strictObject({ ...projectIdParam, ...bodyShape(ENVIRONMENT_FIELDS, ['name']) })
  .meta({ examples: [createEnvironmentExample] });
export type CreateEnvironmentInput = z.infer<typeof createEnvironmentInput>;

/** PUT is partial: absent fields stay, `null` clears a nullable field. The default moves only by set-default. */
export const updateEnvironmentInput = z.strictObject({ ...envIdParams, ...bodyShape(ENVIRONMENT_FIELDS), ...ifMatchShape });
export type UpdateEnvironmentInput = z.infer<typeof updateEnvironmentInput>;

export const cloneEnvironmentInput = z.strictObject({ ...envIdParams, ...bodyShape(ENVIRONMENT_FIELDS, ['name']) }).meta({
  examples: [
    {
      name: 'staging-v2',
      type: 'staging',
      description: 'Cloned from staging',
    },
  ],
});
export type CloneEnvironmentInput = z.infer<typeof cloneEnvironmentInput>;

export const listEnvironmentsInput = z.strictObject({ ...projectIdParam, ...listQueryShape });
export const environmentRefInput = z.strictObject(envIdParams);
export const setDefaultEnvironmentInput = z.strictObject({ ...envIdParams, ...ifMatchShape });

const forceDescription = '`true` deletes an environment that still has variables, and its variables';

export const deleteEnvironmentInput = z.strictObject({
  ...envIdParams,
  // A query parameter: a string on REST, so only the two spellings a URL carries are accepted.
  force: z.enum(['true', 'false']).meta({ description: forceDescription }).optional().meta({ description: forceDescription }),
  ...ifMatchShape,
});

/** Internal: the default environment of a project that was just created. */
export const createDefaultEnvironmentInput = z.strictObject({ project_id: uuidSchema });
