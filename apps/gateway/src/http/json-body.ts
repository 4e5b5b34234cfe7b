import type { FastifyInstance } from 'fastify';

/**
 * The deepest nesting a JSON body may have. Every body of this API is a flat object (a few
 * levels at most); deep nesting only serves to exhaust the stack of whatever walks the value
 * next (the REST adapter re-serialises every body, and JSON.stringify recurses).
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Whether JSON text nests deeper than `max`, in one pass that never recurses; brackets inside strings do not count. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i += 1;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth += 1;
      if (depth > max) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return false;
}

const badBody = (message: string, code: string) => Object.assign(new Error(message), { statusCode: 400, code });

function isValidJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Decodes strictly: a byte sequence that is not UTF-8 is refused, never replaced by U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON body parser: Fastify's own (prototype poisoning refused), behind a strict UTF-8
 * decoding (what is accepted reads back exactly) and a nesting limit checked before anything
 * parses; an empty body with a JSON content type (`POST /auth/logout`, say) means "no fields",
 * not malformed JSON.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const defaultJsonParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      return done(badBody('The request body is not valid UTF-8', 'ATRIUM_BODY_NOT_UTF8'), undefined);
    }
    if (text.trim() === '') return done(null, undefined);
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      return done(
        Object.assign(new Error(`The request body nests deeper than ${MAX_JSON_DEPTH} levels`), {
          statusCode: 400,
          code: 'ATRIUM_JSON_TOO_DEEP',
        }),
        undefined,
      );
    }
    defaultJsonParser(request, text, (error, value) => {
      // Valid JSON that Fastify's parser refused all the same: it holds a prototype key. Say so, not "invalid JSON".
      if (error && isValidJson(text)) {
        return done(
          badBody('The request body may not use "__proto__" or "constructor.prototype" as a key', 'ATRIUM_JSON_PROTOTYPE_KEY'),
          undefined,
        );
      }
      done(error, value);
    });
  });
}
