import { describe, expect, it } from 'vitest';
import { defineEntity } from '@mikro-orm/core';
import { columns, fieldsOf, snakeCase } from '../src/index.js';

const Owner = defineEntity({ name: 'FieldsOwner', properties: () => ({ id: columns.id() }) });
const Thing = defineEntity({
  name: 'FieldsThing',
  properties: (p) => ({
    id: columns.id(),
    owner: p.manyToOne(Owner),
    displayName: p.string(),
    note: p.string().nullable(),
    autoStart: p.boolean().default(false),
    data: p.json<Record<string, unknown>>(),
    createdAt: columns.createdAt(),
  }),
});
const thingFields = fieldsOf(Thing);

describe('fieldsOf', () => {
  it('names every scalar column in snake_case, in declaration order, leaving relations and JSON out', () => {
    expect(thingFields.columns()).toBe('id, display_name, note, auto_start, created_at');
    expect(thingFields.columns('t')).toBe('t.id, t.display_name, t.note, t.auto_start, t.created_at');
    expect(snakeCase('autoErrorTrackingEnabled')).toBe('auto_error_tracking_enabled');
  });

  it('maps a row to the entity and the entity to the wire, instants as ISO strings and absent as null', () => {
    const row = { id: 'a', display_name: 'A', note: null, auto_start: true, created_at: '2026-01-02 03:04:05.678+00' };
    const entity = thingFields.ofRow(row);
    expect(entity).toEqual({ id: 'a', displayName: 'A', note: null, autoStart: true, createdAt: new Date('2026-01-02T03:04:05.678Z') });
    const wire = { id: 'a', display_name: 'A', note: null, auto_start: true, created_at: '2026-01-02T03:04:05.678Z' };
    expect(thingFields.toWire({ ...entity, note: undefined })).toEqual(wire);
    expect(thingFields.rowToWire(row)).toEqual(wire);
  });

  it("takes a body's given fields, skips the absent ones and keeps null, and knows the create defaults", () => {
    expect(thingFields.given({ display_name: 'B', note: null, auto_start: undefined })).toEqual({ displayName: 'B', note: null });
    expect(thingFields.defaults()).toEqual({ note: null, autoStart: false });
  });
});
