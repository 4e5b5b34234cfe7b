import type { FastifyRequest } from 'fastify';
import { ICON_FORM_FIELD, ICON_MAX_BYTES } from '@atrium/contract';
import { DomainError } from '@atrium/service-runtime/core';

/** What a form may add around its file (boundaries, part headers) before it is refused unread. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

const oneFileOnly = () =>
  new DomainError('BAD_REQUEST', `Send exactly one file, in the form field "${ICON_FORM_FIELD}", and no other field`, [
    { path: ICON_FORM_FIELD, message: 'exactly one file and no other field' },
  ]);
const tooLarge = () => new DomainError('PAYLOAD_TOO_LARGE', `The file is larger than ${ICON_MAX_BYTES} bytes (1 MiB)`);

/**
 * The one file of an icon upload, streamed through @fastify/multipart (busboy) with limits, so
 * at most 1 MiB is ever held: a bigger file is cut off at the limit (413), a second file or
 * any other field is refused (400), and a declared length that could not fit is refused
 * before a byte is read.
 */
export async function readIconFile(request: FastifyRequest): Promise<Uint8Array> {
  if (!request.isMultipart()) {
    throw new DomainError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Send the icon as multipart/form-data, with the file in the field "${ICON_FORM_FIELD}"`,
    );
  }
  if (Number(request.headers['content-length']) > ICON_MAX_BYTES + FORM_OVERHEAD_BYTES) throw tooLarge();
  let file: Uint8Array | undefined;
  try {
    const parts = request.parts({ limits: { fileSize: ICON_MAX_BYTES, files: 1, fields: 0, parts: 1, headerPairs: 16 } });
    for await (const part of parts) {
      if (part.type !== 'file' || part.fieldname !== ICON_FORM_FIELD || file) throw oneFileOnly();
      file = await part.toBuffer();
    }
  } catch (error) {
    throw formError(error);
  }
  if (!file) throw oneFileOnly();
  return file;
}

/** @fastify/multipart's and busboy's refusals, as the API's errors. */
function formError(error: unknown): unknown {
  if (error instanceof DomainError) return error;
  switch ((error as { code?: string }).code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return tooLarge();
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return oneFileOnly();
    default:
      // Malformed multipart (no boundary, a part cut short…): the client's fault, never a 500.
      return new DomainError('BAD_REQUEST', `The multipart body is malformed: ${(error as Error).message}`);
  }
}
