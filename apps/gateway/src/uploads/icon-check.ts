import { ICON_MAX_DIMENSION, ICON_MEDIA_TYPES } from '@atrium/contract';
import type { IconExtension } from '@atrium/contract';
import { DomainError } from '@atrium/service-runtime/core';

/** What file-type reports for each accepted format (APNG is a PNG every browser shows). */
const EXTENSION_OF_SNIFFED: Record<string, IconExtension> = {
  'image/png': 'png',
  'image/apng': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
};

/** What image-size calls each accepted format. */
const EXTENSION_OF_MEASURED: Record<string, IconExtension> = { png: 'png', jpg: 'jpg', webp: 'webp', gif: 'gif' };

export interface CheckedIcon {
  ext: IconExtension;
  mediaType: (typeof ICON_MEDIA_TYPES)[IconExtension];
  width: number;
  height: number;
}

/**
 * file-type and image-size (~50 modules) are loaded by the first upload, not at start-up:
 * few starts see one. Loaded once, the promise is kept.
 */
let sniffers: Promise<[typeof import('file-type'), typeof import('image-size')]> | undefined;
const loadSniffers = () => (sniffers ??= Promise.all([import('file-type'), import('image-size')]));

const unsupported = (what: string) => new DomainError('UNSUPPORTED_MEDIA_TYPE', `Icons must be PNG, JPEG, WebP or GIF images; ${what}`);

/**
 * What an upload really is, from its bytes alone (never its name or declared type): the format
 * by its signature (file-type), then the dimensions from the format's header (image-size),
 * which must be the same format and sane — a decompression bomb is a tiny file declaring a
 * huge canvas, refused here before anything would decode it. Nothing is decoded.
 */
export async function checkIcon(bytes: Uint8Array): Promise<CheckedIcon> {
  if (bytes.length === 0) throw new DomainError('BAD_REQUEST', 'The file is empty', [{ path: 'file', message: 'is empty' }]);
  const [{ fileTypeFromBuffer }, { imageSize }] = await loadSniffers();
  const sniffed = await fileTypeFromBuffer(bytes);
  const ext = sniffed ? EXTENSION_OF_SNIFFED[sniffed.mime] : undefined;
  if (!ext) throw unsupported(sniffed ? `this file is ${sniffed.mime}` : 'this file is not a recognised image');

  let size: { width: number; height: number; type?: string };
  try {
    size = imageSize(bytes);
  } catch {
    throw unsupported(`this ${ext.toUpperCase()} file is damaged (its header cannot be read)`);
  }
  if (!size.type || EXTENSION_OF_MEASURED[size.type] !== ext) throw unsupported('this file is not one image of one format');
  const { width, height } = size;
  if (!(width > 0 && height > 0 && width <= ICON_MAX_DIMENSION && height <= ICON_MAX_DIMENSION)) {
    throw new DomainError(
      'BAD_REQUEST',
      `The image is ${width}×${height} pixels; icons may be at most ${ICON_MAX_DIMENSION}×${ICON_MAX_DIMENSION}`,
      [{ path: 'file', message: 'dimensions out of range' }],
    );
  }
  return { ext, mediaType: ICON_MEDIA_TYPES[ext], width, height };
}
