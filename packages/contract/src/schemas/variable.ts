import { z } from 'zod';
import { ifMatchShape, versionSchema } from './conditional.js';
import { listQueryShape, pageOf, textSchema, timestampSchema, uuidSchema } from './common.js';

export const VARIABLE_KEY_MAX = 255;
/** 64 KiB of UTF-8 (docs/api-contract.md, Environments). */
export const VARIABLE_VALUE_MAX_BYTES = 64 * 1024;

export const variableKeySchema = z
  .string()
  .min(1)
  .max(VARIABLE_KEY_MAX)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must start with a letter or underscore and hold only letters, digits and underscores')
  .meta({ description: 'Variable name, as a process environment sees it', example: 'DATABASE_URL' });

export const variableValueSchema = textSchema()
  .refine((value) => Buffer.byteLength(value, 'utf8') <= VARIABLE_VALUE_MAX_BYTES, {
    message: `must be at most ${VARIABLE_VALUE_MAX_BYTES} bytes of UTF-8`,
  })
  .meta({ description: `The value, at most ${VARIABLE_VALUE_MAX_BYTES} bytes of UTF-8` });

export const variableSchema = z
  .object({
    key: z.string().meta({ description: 'Variable name' }),
    value: z.string().nullable().meta({ description: 'The value; always null for a secret, which is never returned' }),
    secret: z.boolean().meta({ description: 'Encrypted at rest and never returned' }),
    version: versionSchema,
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'Variable' });
export type Variable = z.infer<typeof variableSchema>;
export const variablePage = pageOf(variableSchema);

const envIdParams = {
  projectId: uuidSchema.meta({ description: 'Project id' }),
  envId: uuidSchema.meta({ description: 'Environment id' }),
};

export const listVariablesInput = z.strictObject({ ...envIdParams, ...listQueryShape });

/** Sets a variable, creating it if needed; `secret` left out keeps the variable's current kind (false for a new one). */
export const putVariableInput = z
  .strictObject({
    ...envIdParams,
    key: variableKeySchema,
    value: variableValueSchema,
    secret: z.boolean().optional().meta({ description: 'Encrypt at rest and never return the value' }),
    ...ifMatchShape,
  })
  .meta({
    examples: [
      {
        value: 's3cr3t',
        secret: true,
      },
    ],
  });
export type PutVariableInput = z.infer<typeof putVariableInput>;

export const deleteVariableInput = z.strictObject({ ...envIdParams, key: variableKeySchema, ...ifMatchShape });

/** What the deploy system asks for (`environments.variables.resolve`, internal): one environment of one project. */
export const resolveVariablesInput = z.strictObject({ project_id: uuidSchema, environment_id: uuidSchema });
export type ResolveVariablesInput = z.infer<typeof resolveVariablesInput>;

/** One variable as a workload gets it: secrets opened. Only the deployer ever receives this. */
export const resolvedVariableSchema = z.object({
  key: z.string(),
  value: z.string(),
  secret: z.boolean(),
});
export type ResolvedVariable = z.infer<typeof resolvedVariableSchema>;

/** Every variable of the environment, in key order, with its value (a secret's decrypted). */
export const resolvedVariablesSchema = z.object({
  project_id: uuidSchema,
  environment_id: uuidSchema,
  /** The environment's name (`production`, …). */
  name: z.string(),
  data: z.array(resolvedVariableSchema),
});
export type ResolvedVariables = z.infer<typeof resolvedVariablesSchema>;
