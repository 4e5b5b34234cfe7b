export type { UploadStore } from './store.js';
export { assertUploadName } from './store.js';
export type { NatsUploadStoreOptions } from './nats-store.js';
export { natsUploadStore } from './nats-store.js';
export { folderUploadStore } from './folder-store.js';
