import { initTRPC } from '@trpc/server';
import type { ServiceErrorShape } from '@atrium/contract';
import { describeError } from './errors.js';

/**
 * The tRPC instance of a service. Its error formatter is where every error gets its API
 * code and field details, once, for NATS callers and the gateway alike.
 */
export function createServiceTRPC<Ctx extends object>() {
  return initTRPC.context<Ctx>().create({
    isServer: true,
    errorFormatter({ shape, error }): ServiceErrorShape {
      const described = describeError(error);
      return {
        message: described.message,
        code: shape.code,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          apiCode: described.apiCode,
          details: described.details,
          ...(described.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: described.retryAfterSeconds }),
        },
      };
    },
  });
}
