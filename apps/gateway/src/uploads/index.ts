import type { FastifyInstance } from 'fastify';
import type { ServiceTransport } from '@atrium/nats-trpc';
import type { UploadStore } from '@atrium/uploads';
import type { Authenticator } from '../auth/authenticator.js';
import { registerIconUpload } from './icon-upload.js';
import { registerUploadServing } from './serve.js';

export interface UploadsOptions {
  transport: ServiceTransport;
  authenticator: Authenticator;
  uploads: UploadStore;
  prefix: string;
}

/** Icon upload (multipart, outside the REST adapter) and serving of uploaded files. */
export async function registerUploads(app: FastifyInstance, options: UploadsOptions): Promise<void> {
  await registerIconUpload(app, options);
  registerUploadServing(app, options.uploads);
}
