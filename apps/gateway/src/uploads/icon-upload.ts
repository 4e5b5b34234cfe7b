import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { TRPCError } from '@trpc/server';
import { etagOf, projectsContract } from '@atrium/contract';
import type { AuthenticatedCaller } from '@atrium/contract';
import type { ServiceTransport } from '@atrium/nats-trpc';
import type { UploadStore } from '@atrium/uploads';
import { DomainError } from '@atrium/service-runtime/core';
import type { DescribedError } from '@atrium/service-runtime/core';
import { callerOf } from '../auth/authenticator.js';
import type { Authenticator } from '../auth/authenticator.js';
import { credentialFromHeaders } from '../auth/credentials.js';
import { envelope } from '../rest/envelope.js';
import { ifMatchOf } from '../rest/conditional.js';
import { apiErrorOf, errorEnvelope, statusOf } from '../rest/errors.js';
import { checkIcon } from './icon-check.js';
import { readIconFile } from './multipart-form.js';

const upload = projectsContract.operations.icons.set;
const authorize = projectsContract.operations.icons.authorize;

export interface IconUploadOptions {
  transport: ServiceTransport;
  authenticator: Authenticator;
  uploads: UploadStore;
  /** `/api/v1`: the contract's paths are relative to it. */
  prefix: string;
}

/**
 * `POST /projects/{id}/icon`, the one REST operation outside the REST adapter (which passes
 * JSON bodies only): the path, auth, statuses and document entry are the contract's
 * (`projects.icons.set`, `rest.multipart`). In order: authenticate; ask projects whether the
 * caller may set this project's icon (nothing is read or stored for one who may not); read and
 * check the file; store it under a new random name; have projects record it (which removes the
 * icon it replaces). A failure after the store removes the new object: the old icon stays.
 */
export async function registerIconUpload(app: FastifyInstance, options: IconUploadOptions): Promise<void> {
  const { transport, authenticator, uploads } = options;
  // In this plugin's scope only: multipart is accepted by this route and no other.
  await app.register(async (scope) => {
    await scope.register(multipart);
    const url = `${options.prefix}${upload.rest.path.replace(/\{(\w+)\}/g, ':$1')}`;
    scope.route({
      method: upload.rest.method,
      url,
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        try {
          const params = upload.input.shape.id.safeParse((request.params as { id?: string }).id);
          if (!params.success) throw new DomainError('BAD_REQUEST', 'Invalid project id', [{ path: 'id', message: 'must be a UUID' }]);
          const id = params.data;
          const caller = await authenticate(authenticator, request);
          // A conditional write (`rest.conditional`): If-Match is checked by projects when it records the icon.
          const ifMatch = ifMatchOf(request.headers['if-match']);
          const call = (path: string, kind: 'query' | 'mutation', input: unknown) =>
            transport.call({
              service: 'projects',
              path,
              kind,
              input,
              meta: { requestId: request.id, caller: callerOf(caller) },
            });

          await call('icons.authorize', authorize.kind, { id });
          const bytes = await readIconFile(request);
          const icon = await checkIcon(bytes);
          const name = `projects/${id}/${randomBytes(16).toString('base64url')}.${icon.ext}`;
          await uploads.put(name, bytes);
          let project: unknown;
          try {
            project = await call('icons.set', upload.kind, {
              id,
              icon_path: `/uploads/${name}`,
              ...(ifMatch === undefined ? {} : { if_match: ifMatch }),
            });
          } catch (error) {
            await uploads
              .remove(name)
              .catch((removal: unknown) => request.log.warn({ err: removal, name }, 'could not remove a refused icon'));
            throw error;
          }
          return reply
            .status(upload.rest.status)
            .header('etag', etagOf((project as { version: number }).version))
            .send(envelope(upload, project));
        } catch (error) {
          const apiError = publicError(error);
          if (!apiError) throw error;
          return reply.status(statusOf(apiError.apiCode)).send(errorEnvelope(apiError));
        }
      },
    });
  });
}

async function authenticate(authenticator: Authenticator, request: FastifyRequest): Promise<AuthenticatedCaller> {
  const credential = credentialFromHeaders(request.headers);
  if (!credential) {
    throw new DomainError('UNAUTHORIZED', 'Authentication required: send Authorization: Bearer <token> or x-api-key: <key>');
  }
  return authenticator.authenticate(credential, request.id);
}

/** The API error for a refusal; undefined for anything unexpected (the server's error handler answers 500). */
function publicError(error: unknown): DescribedError | undefined {
  if (error instanceof DomainError) return { apiCode: error.code, message: error.message, details: error.details };
  if (error instanceof TRPCError) {
    const described = apiErrorOf(error);
    return described.apiCode === 'INTERNAL_ERROR' ? undefined : described;
  }
  return undefined;
}
