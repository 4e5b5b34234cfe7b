import type { NatsConnection } from '@nats-io/transport-node';
import { assertUploadName } from './store.js';
import type { UploadStore } from './store.js';

export interface NatsUploadStoreOptions {
  /** The object store bucket (stream `OBJ_<bucket>`, subjects `$O.<bucket>.C.>` and `$O.<bucket>.M.>`). */
  bucket: string;
  /** Replicas of a newly created bucket (3 on a 3-node cluster). */
  replicas?: number;
}

/**
 * Uploads in a JetStream object store bucket, created if missing (file storage): every instance
 * on the cluster reads what any other wrote. A deletion leaves the object's metadata as a
 * tombstone (a few hundred bytes) and purges its chunks.
 */
export async function natsUploadStore(nc: NatsConnection, options: NatsUploadStoreOptions): Promise<UploadStore> {
  // Loaded here, not with the module: the one-process mode without a broker keeps uploads in a folder.
  const { Objm, StorageType } = await import('@nats-io/obj');
  const bucket = await new Objm(nc).create(options.bucket, { storage: StorageType.File, replicas: options.replicas ?? 1 });
  return {
    async put(name, bytes) {
      assertUploadName(name);
      await bucket.putBlob({ name }, bytes);
    },
    async read(name) {
      assertUploadName(name);
      // getBlob answers null for a missing or deleted object, and verifies the digest.
      return bucket.getBlob(name);
    },
    async has(name) {
      assertUploadName(name);
      const info = await bucket.info(name);
      return info !== null && !info.deleted;
    },
    async remove(name) {
      assertUploadName(name);
      await bucket.delete(name);
    },
    async list() {
      return (await bucket.list()).filter((info) => !info.deleted).map((info) => info.name);
    },
  };
}
