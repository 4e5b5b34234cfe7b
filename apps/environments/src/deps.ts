import type { HandlerOf, environmentsContract } from '@atrium/contract';
import type { ServiceContext } from '@atrium/service-runtime';

type Ops = (typeof environmentsContract)['operations'];
/** The handler type of one environments operation, e.g. `Handler<'environments', 'get'>`. */
export type Handler<R extends keyof Ops, V extends keyof Ops[R]> = HandlerOf<typeof environmentsContract, R, V, ServiceContext>;
