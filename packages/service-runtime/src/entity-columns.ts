import { randomUUID } from 'node:crypto';
import { DateTimeType, defineEntity, JsonType } from '@mikro-orm/core';
import type { InferEntity } from '@mikro-orm/core';

const p = defineEntity.properties;

/**
 * The columns every entity shares, defined once: UUID keys made by the application, and
 * timestamps in milliseconds — JavaScript's precision, so list cursors built from them are exact.
 */
export const columns = {
  id: () =>
    p
      .uuid()
      .primary()
      .onCreate(() => randomUUID()),
  createdAt: () => p.datetime(3).onCreate(() => new Date()),
  updatedAt: () =>
    p
      .datetime(3)
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
};

/**
 * A property's column and wire name: camelCase as snake_case, the rule of MikroORM's
 * UnderscoreNamingStrategy (the entities' columns) and of the public API's fields.
 */
export type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
  : S;

export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The entity's own plain columns: its scalar properties (not relations, not JSON), by name. */
type ScalarKey<E> = {
  [K in keyof E & string]-?: NonNullable<E[K]> extends Date | string | number | boolean | bigint ? K : never;
}[keyof E & string];

/** What a nullable or optional property is when it is read: null, never absent. */
type Present<V> = undefined extends V ? Exclude<V, undefined> | null : V;

/**
 * A row of the entity's table as pg hands it over: one snake_case column per scalar property,
 * timestamps as text (MikroORM has pg leave them to it: see `fieldsOf`).
 */
export type RowOf<E> = {
  [K in ScalarKey<E> as SnakeCase<K>]-?: NonNullable<E[K]> extends Date ? string | Extract<Present<E[K]>, null> : Present<E[K]>;
};

/** The entity as the public API writes it: snake_case fields, timestamps as ISO strings, null for absent. */
export type WireOf<E> = {
  [K in ScalarKey<E> as SnakeCase<K>]-?: NonNullable<E[K]> extends Date ? string | Extract<Present<E[K]>, null> : Present<E[K]>;
};

/** Compiles only when every field of a create or update body (`Input`) is a field of `Wire`. */
export type KnownFields<Input, Wire> = [Exclude<keyof Input, keyof Wire>] extends [never]
  ? true
  : { notEntityFields: Exclude<keyof Input, keyof Wire> };

/**
 * Compiles only when `Dto`, the contract's object, has exactly the fields of `Wire` and each of
 * them takes `Wire`'s value: `const _: SameFields<WireOf<IProject>, ProjectDto> = true`.
 */
export type SameFields<Wire, Dto> = [keyof Wire] extends [keyof Dto]
  ? [keyof Dto] extends [keyof Wire]
    ? Wire extends Dto
      ? true
      : { fieldTypesDiffer: { [K in keyof Wire & keyof Dto]: Wire[K] extends Dto[K] ? never : K }[keyof Wire & keyof Dto] }
    : { onlyInDto: Exclude<keyof Dto, keyof Wire> }
  : { onlyInEntity: Exclude<keyof Wire, keyof Dto> };

interface PropertyOptions {
  kind?: string;
  type?: unknown;
  nullable?: boolean;
  default?: unknown;
}

interface Field {
  property: string;
  column: string;
  date: boolean;
  nullable: boolean;
  default: unknown;
}

/**
 * The columns of an entity declared with `defineEntity`, one per scalar property (relations are
 * not a row's to map): the one list every row mapping and DTO of the entity goes through, so a
 * property added to the entity is read, mapped and answered without another edit.
 */
export function fieldsOf<S extends { meta: { properties: object } }>(entity: S): EntityFields<InferEntity<S>> {
  const fields: Field[] = [];
  for (const [property, options] of Object.entries(entity.meta.properties as Record<string, PropertyOptions>)) {
    if ((options.kind && options.kind !== 'scalar') || options.type === JsonType || options.type === 'json') continue;
    fields.push({
      property,
      column: snakeCase(property),
      date: options.type === DateTimeType || options.type === 'datetime',
      nullable: options.nullable === true,
      default: options.default,
    });
  }
  return new EntityFields<InferEntity<S>>(fields);
}

/** See `fieldsOf`. The only place that builds entities from rows, and wire objects from entities. */
export class EntityFields<E> {
  constructor(private readonly fields: readonly Field[]) {}

  /** `p.id, p.name, …`: every column, named (a prepared read must not change with the table). */
  columns(alias?: string): string {
    return this.fields.map((field) => (alias ? `${alias}.${field.column}` : field.column)).join(', ');
  }

  /** The entity of a row read by `columns()`, managed by no EntityManager (a query changes nothing). */
  ofRow(row: RowOf<E>): E {
    const entity: Record<string, unknown> = {};
    const values = row as Record<string, unknown>;
    for (const field of this.fields) {
      const value = values[field.column];
      // MikroORM has pg hand timestamps over as text (it parses them itself, as this does).
      entity[field.property] = field.date && value != null ? new Date(value as string) : value;
    }
    // Every scalar property was set from its column; RowOf<E> has exactly those columns.
    return entity as E;
  }

  /** The entity's fields as the public API writes them (see `WireOf`). */
  toWire(entity: E): WireOf<E> {
    const wire: Record<string, unknown> = {};
    const values = entity as Record<string, unknown>;
    for (const field of this.fields) {
      const value = values[field.property];
      wire[field.column] = value instanceof Date ? value.toISOString() : (value ?? null);
    }
    return wire as WireOf<E>;
  }

  /** A row read by `columns()` as the public API writes it, with no entity in between (see `WireOf`). */
  rowToWire(row: RowOf<E>): WireOf<E> {
    const wire: Record<string, unknown> = {};
    const values = row as Record<string, unknown>;
    for (const field of this.fields) {
      const value = values[field.column];
      wire[field.column] = field.date && value != null ? new Date(value as string).toISOString() : (value ?? null);
    }
    return wire as WireOf<E>;
  }

  /**
   * The entity's properties given in a create or update body (snake_case fields, `undefined`
   * for absent), camelCase; the body's other fields (path parameters) are not the entity's.
   */
  given(input: Partial<WireOf<E>>): Partial<E> {
    const given: Record<string, unknown> = {};
    const values = input as Record<string, unknown>;
    for (const field of this.fields) if (values[field.column] !== undefined) given[field.property] = values[field.column];
    return given as Partial<E>;
  }

  /** The entity's scalar properties' values (a copy's starting point). */
  values(entity: E): Pick<E, ScalarKey<E>> {
    const values: Record<string, unknown> = {};
    for (const field of this.fields) values[field.property] = (entity as Record<string, unknown>)[field.property];
    return values as Pick<E, ScalarKey<E>>;
  }

  /** What a create body leaves out: each property's declared default, else null when nullable. */
  defaults(): Partial<E> {
    const defaults: Record<string, unknown> = {};
    for (const field of this.fields) {
      if (field.default !== undefined) defaults[field.property] = field.default;
      else if (field.nullable) defaults[field.property] = null;
    }
    return defaults as Partial<E>;
  }
}
