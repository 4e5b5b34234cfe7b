import { initTRPC, TRPCError } from '@trpc/server';
import type { AnyTRPCRouter } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { z } from 'zod';
import { acceptsIdempotencyKey, contracts, etagOf, listOperations, operationIdOf } from '@atrium/contract';
import type { AuthenticatedCaller, OperationEntry } from '@atrium/contract';
import { IDEMPOTENCY_KEY_PATTERN } from '@atrium/nats-trpc';
import type { ServiceTransport } from '@atrium/nats-trpc';
import { DomainError, toTRPCError } from '@atrium/service-runtime/core';
import { callerOf } from '../auth/authenticator.js';
import type { Authenticator } from '../auth/authenticator.js';
import { envelope, envelopeSchema } from './envelope.js';
import { ifMatchOf, noneMatchHit } from './conditional.js';
import { apiErrorOf, errorEnvelope } from './errors.js';
import { errorStatusesFor } from './openapi-errors.js';

export interface GatewayContext {
  requestId: string;
  credential?: string;
  caller?: AuthenticatedCaller;
  /** The parsed JSON body as sent, before the REST adapter merges path parameters into it. */
  body?: unknown;
  /** The `Idempotency-Key` header as sent (checked only by the operations that take one). */
  idempotencyKey?: string | string[];
  /** The `If-Match` header as sent: a conditional write's precondition, carried to the service as `if_match`. */
  ifMatch?: string | string[];
  /** The `If-None-Match` header as sent: read only by conditional reads. */
  ifNoneMatch?: string | string[];
  /** Sets a header of this request's answer: how a conditional operation sends its `ETag`. */
  setResponseHeader?: (name: string, value: string) => void;
  /**
   * Set by a conditional read whose `If-None-Match` named the current ETag: the procedure then
   * answers no body, and the server's `responseMeta` answers 304.
   */
  notModified?: boolean;
}

const badRequest = (message: string, path = '') => toTRPCError(new DomainError('BAD_REQUEST', message, [{ path, message }]));

/** A creating operation's `Idempotency-Key`, when sent: one header of 1–255 visible ASCII characters. */
function checkIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(header)) {
    throw badRequest('The Idempotency-Key header must be one value of 1–255 visible ASCII characters', 'Idempotency-Key');
  }
  return header;
}

/**
 * What strict bodies need beyond the schema: the REST adapter spreads the body into the input
 * (so `null`, `1` or a path parameter in the body would otherwise vanish silently).
 */
function checkBody(body: unknown, pathParameters: string[]): void {
  if (body === undefined) return;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object');
  }
  const clash = pathParameters.find((name) => Object.hasOwn(body, name));
  if (clash) throw badRequest(`"${clash}" is given by the URL and cannot be set in the body`, clash);
}

/**
 * The input schema the REST adapter parses for an operation: the contract's, less a conditional
 * write's `if_match`, which comes from the `If-Match` header only (so a body or query field of
 * that name is refused as unknown, like any other).
 */
function restInputOf(entry: OperationEntry): z.ZodType {
  const { input, rest } = entry.operation;
  if (rest?.conditional !== 'write') return input;
  const object = input as z.ZodObject;
  if (!object.shape?.if_match) throw new Error(`${entry.procedure} is a conditional write but its input has no if_match (ifMatchShape)`);
  return object.omit({ if_match: true });
}

/** The version a conditional operation answers (the field of its output object); lists and 204s have none. */
function versionOfOutput(output: unknown): number | undefined {
  const version = (output as { version?: unknown } | undefined)?.version;
  return typeof version === 'number' ? version : undefined;
}

const t = initTRPC
  .context<GatewayContext>()
  .meta<OpenApiMeta>()
  .create({
    // The REST adapter spreads this shape into the error body; the server keeps only the envelope.
    errorFormatter: ({ error }) => errorEnvelope(apiErrorOf(error)),
  });

const restEntries = contracts.flatMap((contract) => listOperations(contract)).filter((entry) => entry.operation.rest);

/** An operation's path in the gateway router (`projects.projects.get`): also its name in /metrics. */
export const restOperationName = (entry: OperationEntry): string => `${entry.service}.${entry.procedure}`;

/** Every REST operation the REST adapter serves (JSON bodies), keyed by its path in the gateway router. */
export const REST_OPERATIONS: ReadonlyMap<string, OperationEntry> = new Map(
  restEntries.filter((entry) => !entry.operation.rest!.multipart).map((entry) => [restOperationName(entry), entry]),
);

/** The REST operations with a multipart body: served by routes of their own (src/uploads), documented beside the others. */
export const MULTIPART_OPERATIONS: readonly OperationEntry[] = restEntries.filter((entry) => entry.operation.rest!.multipart);

/**
 * The gateway's router, derived from the contracts: one procedure per REST operation with
 * the contract's input schema, the envelope of its output schema and its REST metadata,
 * forwarding to the owning service. Nothing here restates a field. One router both serves
 * requests and is the source of the OpenAPI document (trpc-to-openapi checks, at start-up
 * outside production, that the serving router would make a document: every procedure needs
 * an output schema for that).
 *
 * A request's path through a procedure: `authenticate` (the credential, when the operation
 * needs a user) and `checkBody`, then the input schema, then `callService` (the service
 * authorizes and answers), then `envelope` around its reply, which the REST adapter sends.
 */
export function createGatewayRouter(transport: ServiceTransport, authenticator: Authenticator) {
  const callService = async (entry: OperationEntry, input: unknown, ctx: GatewayContext): Promise<unknown> => {
    // The key travels with the call; the owning service dedupes it with its own writes.
    const idempotencyKey = acceptsIdempotencyKey(entry.operation) ? checkIdempotencyKey(ctx.idempotencyKey) : undefined;
    return transport.call({
      service: entry.service,
      path: entry.procedure,
      kind: entry.operation.kind,
      input,
      meta: {
        requestId: ctx.requestId,
        caller: ctx.caller ? callerOf(ctx.caller) : undefined,
        ...(idempotencyKey ? { idempotencyKey } : {}),
      },
    });
  };
  const authenticate = async (ctx: GatewayContext): Promise<void> => {
    if (!ctx.credential) {
      throw new TRPCError({
        code: 'UNAUTHORIZED',
        message: 'Authentication required: send Authorization: Bearer <token> or x-api-key: <key>',
      });
    }
    // The context is this request's own (made by createContext): filled in rather than copied.
    ctx.caller = await authenticator.authenticate(ctx.credential, ctx.requestId);
  };

  const services: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const entry of REST_OPERATIONS.values()) {
    const { operation } = entry;
    const rest = operation.rest!;
    const [resource, verb] = entry.procedure.split('.') as [string, string];
    const pathParameters = [...rest.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name!);
    const needsUser = rest.auth === 'user';
    // One middleware, in this order: authenticate, check the body's shape (each tRPC middleware
    // level copies the call's options, so they are not two).
    const checked = t.procedure.use(async ({ ctx, next }) => {
      if (needsUser) await authenticate(ctx);
      checkBody(ctx.body, pathParameters);
      return next();
    });
    const { conditional } = rest;
    const output = envelopeSchema(operation);
    const procedure = checked
      .meta({
        openapi: {
          method: rest.method,
          path: rest.path,
          operationId: operationIdOf(entry),
          summary: rest.summary,
          description: rest.description,
          tags: rest.tags,
          protect: rest.auth === 'user',
          errorResponses: errorStatusesFor(operation),
        },
      })
      .input(restInputOf(entry))
      // A 304 has no body: a conditional read may answer nothing.
      .output(conditional === 'read' ? output.optional() : output);
    // A conditional operation's answer carries the resource's version: sent as its ETag too. A
    // conditional write sends the If-Match it was given (if any) as its input's `if_match`; a
    // conditional read whose If-None-Match names that version answers 304 (see notModified).
    const forward = async ({ input, ctx }: { input: unknown; ctx: GatewayContext }) => {
      const ifMatch = conditional === 'write' ? ifMatchOf(ctx.ifMatch) : undefined;
      const answer = await callService(entry, ifMatch === undefined ? input : { ...(input as object), if_match: ifMatch }, ctx);
      const version = conditional ? versionOfOutput(answer) : undefined;
      if (version !== undefined) {
        ctx.setResponseHeader?.('etag', etagOf(version));
        if (conditional === 'read' && noneMatchHit(ctx.ifNoneMatch, version)) {
          ctx.notModified = true;
          return undefined;
        }
      }
      return envelope(operation, answer);
    };
    services[entry.service] ??= {};
    const resources = services[entry.service]!;
    resources[resource] ??= {};
    resources[resource]![verb] = operation.kind === 'query' ? procedure.query(forward) : procedure.mutation(forward);
  }
  // The record is built at run time, so its static type is the generic router type.
  return t.router(services as never) as unknown as AnyTRPCRouter;
}

export type GatewayRouter = ReturnType<typeof createGatewayRouter>;
