import type { z } from 'zod';

/**
 * One field of a resource, declared once: how its object reads it and, when clients write it,
 * how create and update bodies take it (no `write`: read-only). The object's schema and its
 * bodies are built from the declarations (`readShape`, `bodyShape`), so a new field is one
 * entry. With `description`, both schemas are described by it (`writeNote` adds what only the
 * bodies mean, a default); without, each schema carries its own.
 */
export interface FieldDeclaration {
  read: z.ZodType;
  write?: z.ZodType;
  description?: string;
  writeNote?: string;
}

export type FieldDeclarations = Record<string, FieldDeclaration>;

type WriteOf<D> = D extends { write: infer W extends z.ZodType } ? W : never;
type WritableKey<F extends FieldDeclarations> = { [K in keyof F]: F[K] extends { write: z.ZodType } ? K : never }[keyof F];

const described = <S extends z.ZodType>(schema: S, description: string | undefined): S =>
  description === undefined ? schema : schema.meta({ description });

/** The object's fields, in declaration order. */
export function readShape<F extends FieldDeclarations>(fields: F): { [K in keyof F]: F[K]['read'] } {
  return Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, described(field.read, field.description)])) as {
    [K in keyof F]: F[K]['read'];
  };
}

/** The writable fields as a body takes them, in declaration order: those named `required` required, the others optional. */
export function bodyShape<F extends FieldDeclarations, R extends WritableKey<F> = never>(
  fields: F,
  required: readonly R[] = [],
): { [K in WritableKey<F>]: K extends R ? WriteOf<F[K]> : z.ZodOptional<WriteOf<F[K]>> } {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, field] of Object.entries(fields)) {
    if (!field.write) continue;
    const description = field.description && field.writeNote ? `${field.description}; ${field.writeNote}` : field.description;
    const schema = described(field.write, description);
    shape[name] = (required as readonly string[]).includes(name) ? schema : schema.optional();
  }
  return shape as { [K in WritableKey<F>]: K extends R ? WriteOf<F[K]> : z.ZodOptional<WriteOf<F[K]>> };
}
