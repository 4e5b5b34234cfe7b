import { z } from 'zod';
import { ifMatchShape } from './conditional.js';
import { projectIdParams } from './project.js';

/**
 * Project icons (docs/api-contract.md, Icons): the limits and accepted types live here once; the
 * gateway enforces them on upload and serving, and the document states them.
 */
export const ICON_MAX_BYTES = 1024 * 1024;
/** Wider or taller images are refused before anything decodes them (a decompression bomb is a tiny file). */
export const ICON_MAX_DIMENSION = 4096;

/** The accepted types, by the extension an icon's name carries: what the bytes are, never what the client said. */
export const ICON_MEDIA_TYPES = {
  png: 'image/png',
  jpg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
} as const;
export type IconExtension = keyof typeof ICON_MEDIA_TYPES;

/** The multipart form field carrying the file. */
export const ICON_FORM_FIELD = 'file';

/** `/uploads/projects/<project-id>/<random>.<ext>`: 16 random bytes, base64url (22 characters). */
export const ICON_PATH_PATTERN =
  /^\/uploads\/projects\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/([A-Za-z0-9_-]{22})\.(png|jpg|webp|gif)$/;

/** Served by the gateway under this prefix; the rest of an icon path is its name in the upload store. */
export const UPLOADS_URL_PREFIX = '/uploads/';

/** The upload store's name of a file served at `path` (`/uploads/projects/…` → `projects/…`). */
export function uploadNameOf(path: string): string {
  if (!path.startsWith(UPLOADS_URL_PREFIX)) throw new Error(`Not an upload path: ${path}`);
  return path.slice(UPLOADS_URL_PREFIX.length);
}

export const iconPathSchema = z.string().regex(ICON_PATH_PATTERN, 'must be /uploads/projects/<project-id>/<random>.<png|jpg|webp|gif>');

/** What the gateway asks projects to record once the bytes are stored; the path must name this project. */
export const setIconInput = z
  .strictObject({ ...projectIdParams, icon_path: iconPathSchema, ...ifMatchShape })
  .refine((input) => ICON_PATH_PATTERN.exec(input.icon_path)?.[1] === input.id, {
    path: ['icon_path'],
    message: 'must be under this project',
  });

export const deleteIconInput = z.strictObject({ ...projectIdParams, ...ifMatchShape });
export const authorizeIconInput = z.strictObject(projectIdParams);

/** The upload as REST consumers send it: documented in OpenAPI, parsed by the gateway's multipart route. */
export const iconUploadForm = z
  .object({
    [ICON_FORM_FIELD]: z.string().meta({
      format: 'binary',
      description: `PNG, JPEG, WebP or GIF (recognised by its bytes), at most ${ICON_MAX_BYTES} bytes and ${ICON_MAX_DIMENSION}×${ICON_MAX_DIMENSION} pixels`,
    }),
  })
  .meta({ id: 'IconUpload' });
