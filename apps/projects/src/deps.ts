import type { HandlerOf, projectsContract } from '@atrium/contract';
import type { UploadStore } from '@atrium/uploads';
import type { ServiceContext } from '@atrium/service-runtime';

export interface ProjectsDeps {
  uploads: UploadStore;
}

type Ops = (typeof projectsContract)['operations'];
/** The handler type of one projects operation, e.g. `Handler<'projects', 'get'>`. */
export type Handler<R extends keyof Ops, V extends keyof Ops[R]> = HandlerOf<typeof projectsContract, R, V, ServiceContext>;
