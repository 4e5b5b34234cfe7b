/**
 * Where uploaded files live (project icons), seen alike by every gateway and service instance.
 * Names are write-once: a new file always gets a new random name, so a name's bytes never
 * change and readers may cache them forever. Two implementations: a NATS JetStream object
 * store (`natsUploadStore`, every deployment with NATS) and a folder (`folderUploadStore`, the
 * one-process mode, which has no broker). Both pass the same tests (test/upload-store.test.ts).
 */
export interface UploadStore {
  /** Stores `bytes` under `name`; readers see the file whole or not at all. */
  put(name: string, bytes: Uint8Array): Promise<void>;
  /** The file's bytes, or null when there is none by that name. */
  read(name: string): Promise<Uint8Array | null>;
  has(name: string): Promise<boolean>;
  /** Removes the file; removing one that is not there is not an error. */
  remove(name: string): Promise<void>;
  /** Every stored name (operations and tests: "no orphan left"). */
  list(): Promise<string[]>;
}

/** Names are paths of plain segments (`projects/<id>/<random>.png`): nothing that climbs out of a folder. */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export function assertUploadName(name: string): void {
  const segments = name.split('/');
  if (segments.length > 8 || !segments.every((segment) => SEGMENT.test(segment) && !segment.includes('..'))) {
    throw new Error(`Invalid upload name: ${JSON.stringify(name)}`);
  }
}
