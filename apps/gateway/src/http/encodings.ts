import { MIMEType } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { errorEnvelope } from '../rest/errors.js';

const UTF8 = new Set(['utf-8', 'utf8']);

/** Why a request's body cannot be read as it is labelled, or undefined when it can. */
function refusalOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const encoding = headers['content-encoding'];
  // Nothing here decompresses: a compressed body would be parsed as garbage, and a plain body
  // labelled compressed is a client bug worth hearing about.
  if (encoding !== undefined && String(encoding).trim().toLowerCase() !== 'identity') {
    return 'Content-Encoding is not supported: send the body uncompressed';
  }
  const contentType = headers['content-type'];
  if (typeof contentType !== 'string') return undefined;
  let charset: string | null | undefined;
  try {
    charset = new MIMEType(contentType).params.get('charset');
  } catch {
    return undefined; // Not a media type at all: the content-type check answers it.
  }
  // JSON is UTF-8 (RFC 8259 §8.1); other charsets would be decoded wrongly, so they are refused.
  if (charset && !UTF8.has(charset.toLowerCase())) return `Request bodies must be UTF-8 JSON; charset "${charset}" is not supported`;
  return undefined;
}

/** Refuses, with 415 and before reading a byte of it, a body that is compressed or not UTF-8. */
export function registerEncodingGuard(app: FastifyInstance): void {
  app.addHook('preParsing', (request, reply, payload, done) => {
    const refusal = refusalOf(request.headers);
    // Answered here: Fastify goes no further once a hook has sent the reply.
    if (refusal) void reply.status(415).send(errorEnvelope({ apiCode: 'UNSUPPORTED_MEDIA_TYPE', message: refusal }));
    else done(null, payload);
  });
}
