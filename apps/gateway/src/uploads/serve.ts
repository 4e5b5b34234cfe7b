import type { FastifyInstance, FastifyReply } from 'fastify';
import { ICON_MEDIA_TYPES, ICON_PATH_PATTERN, UPLOADS_URL_PREFIX, uploadNameOf } from '@atrium/contract';
import type { IconExtension } from '@atrium/contract';
import type { UploadStore } from '@atrium/uploads';
import { errorEnvelope } from '../rest/errors.js';

/** Names are write-once (random, never reused), so a served file never changes: cache it for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * `GET /uploads/projects/<project-id>/<random>.<ext>`: uploaded icons, for anyone holding the
 * URL (it carries 128 random bits), from the store every instance shares. Only names of the
 * exact icon shape are looked up, so nothing else (`..`, encoded slashes, other folders) can be
 * reached. The type comes from the extension, which the upload set from the bytes; `nosniff`
 * and a CSP that allows nothing keep a browser from ever treating one as a page or script.
 */
export function registerUploadServing(app: FastifyInstance, uploads: UploadStore): void {
  app.get(`${UPLOADS_URL_PREFIX}projects/:projectId/:file`, async (request, reply) => {
    const { projectId, file } = request.params as { projectId: string; file: string };
    const match = ICON_PATH_PATTERN.exec(`${UPLOADS_URL_PREFIX}projects/${projectId}/${file}`);
    if (!match) return notFound(reply);
    const [path, , random, ext] = match as unknown as [string, string, string, IconExtension];
    const name = uploadNameOf(path);
    const etag = `"${random}"`;
    void reply.header('x-content-type-options', 'nosniff').header('content-security-policy', "default-src 'none'").header('etag', etag);

    if (matchesEtag(request.headers['if-none-match'], etag)) {
      if (!(await uploads.has(name))) return notFound(reply);
      return reply.status(304).header('cache-control', IMMUTABLE).send();
    }
    const bytes = await uploads.read(name);
    if (!bytes) return notFound(reply);
    return reply
      .header('cache-control', IMMUTABLE)
      .type(ICON_MEDIA_TYPES[ext])
      .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });
}

/** `If-None-Match`: `*` or a list of (possibly weak) tags; the weak comparison applies (RFC 9110 §13.1.2). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}

function notFound(reply: FastifyReply) {
  reply.removeHeader('etag');
  return reply
    .status(404)
    .header('cache-control', 'no-store')
    .send(errorEnvelope({ apiCode: 'NOT_FOUND', message: 'No such file' }));
}
