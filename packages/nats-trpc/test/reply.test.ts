import { describe, expect, it } from 'vitest';
import { RemoteProcedureError, readReply } from '../src/index.js';

describe('reading a reply', () => {
  it('answers the result, a plain value', () => {
    const project = { id: 'p1', name: 'ä "quoted" \u2028', tags: [1, 2.5, null], nested: { ok: true } };
    const text = JSON.stringify(project);
    const output = readReply(JSON.stringify({ result: project }));
    expect(output).toEqual(project);
    expect(JSON.stringify(output)).toBe(text);
    expect(Object.keys(output as object)).toEqual(Object.keys(project));
  });

  it('answers results that are not objects', () => {
    expect(readReply('{"result":"plain"}')).toBe('plain');
    expect(readReply('{"result":3}')).toBe(3);
    // A procedure answering undefined: JSON.stringify({ result: undefined }) is "{}".
    expect(readReply('{}')).toBeUndefined();
  });

  it('throws the service error of an error reply', () => {
    const error = { message: 'No such project', code: -32004, data: { code: 'NOT_FOUND', apiCode: 'NOT_FOUND', httpStatus: 404 } };
    expect(() => readReply(JSON.stringify({ error }))).toThrow(RemoteProcedureError);
  });

  it('refuses a reply that is not valid JSON, even one that only looks like a result', () => {
    expect(() => readReply('{"result":{"id":')).toThrow(SyntaxError);
    expect(() => readReply('not json')).toThrow(SyntaxError);
    // Valid JSON as a whole, but the text after the prefix is not one value.
    expect(() => readReply('{"result":{"a":1},"result":{"b":2}}')).toThrow(SyntaxError);
  });
});
