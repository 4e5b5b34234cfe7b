import { uploadNameOf } from '@atrium/contract';
import type { UploadStore } from '@atrium/uploads';
import type { Logger } from '@atrium/service-runtime';

/**
 * Removes an icon's object once the change that unreferenced it has committed. A failure is
 * logged, not raised: the change stands, and an unreferenced object under a random name is
 * never served to anyone who did not already have its URL (docs/api-contract.md, Icons).
 */
export async function removeIconObject(uploads: UploadStore, iconPath: string | null, log: Logger): Promise<void> {
  if (!iconPath) return;
  try {
    await uploads.remove(uploadNameOf(iconPath));
  } catch (error) {
    log.warn({ err: error, iconPath }, 'could not remove an unreferenced icon object');
  }
}
