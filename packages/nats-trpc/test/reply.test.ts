import { describe, expect, it } from 'vitest';
import { RemoteProcedureError, readReply, resultTextOf } from '../src/index.js';

describe('reading a reply', () => {
  it('answers the result and remembers the exact JSON text it was read from', () => {
    const project = { id: 'p1', name: 'ä "quoted" \u2028', tags: [1, 2.5, null], nested: { ok: true } };
    const text = JSON.stringify(project);
    const output = readReply(JSON.stringify({ result: project }));
    expect(output).toEqual(project);
    expect(resultTextOf(output)).toBe(text);
    // The text travels with that object only: invisible to JSON, keys and copies.
    expect(JSON.stringify(output)).toBe(text);
    expect(Object.keys(output as object)).toEqual(Object.keys(project));
    expect(resultTextOf({ ...(output as object) })).toBeUndefined();
  });

  it('keeps no text for results that are not objects, nor for values it did not read', () => {
    expect(readReply('{"result":"plain"}')).toBe('plain');
    expect(readReply('{"result":3}')).toBe(3);
    // A procedure answering undefined: JSON.stringify({ result: undefined }) is "{}".
    expect(readReply('{}')).toBeUndefined();
    expect(resultTextOf({ id: 'p1' })).toBeUndefined();
    expect(resultTextOf('plain')).toBeUndefined();
  });

  it('throws the service error of an error reply', () => {
    const error = { message: 'No such project', code: -32004, data: { code: 'NOT_FOUND', apiCode: 'NOT_FOUND', httpStatus: 404 } };
    expect(() => readReply(JSON.stringify({ error }))).toThrow(RemoteProcedureError);
  });

  it('refuses a reply that is not valid JSON, even one that only looks like a result', () => {
    expect(() => readReply('{"result":{"id":')).toThrow(SyntaxError);
    expect(() => readReply('not json')).toThrow(SyntaxError);
    // Valid JSON as a whole, but the text after the prefix is not one value: never remembered as one.
    expect(() => readReply('{"result":{"a":1},"result":{"b":2}}')).toThrow(SyntaxError);
  });
});
