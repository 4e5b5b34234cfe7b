import type { z } from 'zod';
import type { ApiErrorCode } from './errors.js';
import type { ProjectAction } from './roles.js';
import type { ApiTag } from './tags.js';

/**
 * The services' names, declared once; each has its contract in `SERVICE_CONTRACTS`
 * (service-contracts.ts), from which every other list of services derives.
 */
export const SERVICE_NAMES = ['projects', 'identity', 'environments'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * Every app on the bus: each has its own NATS identity and its own signing key. `deployer` is
 * the deploy system that starts workloads (outside this repository): it calls only the internal
 * operations naming it (`environments.variables.resolve`) and takes no calls.
 */
export const APP_NAMES = ['gateway', ...SERVICE_NAMES, 'deployer'] as const;
export type AppName = (typeof APP_NAMES)[number];

/**
 * TypeScript services outside this repository (`@atrium/client`): they have a NATS identity but
 * no signing key; they exchange a user's credential for a session assertion signed by identity.
 */
export const CLIENT_APP = 'client' as const;
/** Everyone with a NATS identity: the apps and clients. */
export const CALLER_NAMES = [...APP_NAMES, CLIENT_APP] as const;
/** Who may call an operation: an app, or a client. */
export type CallerName = AppName | typeof CLIENT_APP;

/**
 * Apps that authenticate end users' credentials themselves and so may vouch for a user in a
 * call's assertion. A service speaks for a user only by forwarding the assertion it received.
 */
export const USER_ASSERTING_APPS: readonly AppName[] = ['gateway'];

/** Apps that sign clients' session assertions (after checking their credential). */
export const SESSION_ISSUING_APPS: readonly AppName[] = ['identity'];

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** How an operation appears on the public REST surface. */
export interface RestBinding {
  method: HttpMethod;
  /** OpenAPI-style path under /api/v1, e.g. `/projects/{id}`. */
  path: `/${string}`;
  /** 201 for creations, 204 (empty body) for deletions, 200 otherwise. */
  status: 200 | 201 | 204;
  /** `public` operations need no credential (register, login, invite lookup). */
  auth: 'user' | 'public';
  /**
   * `secret`: the request carries or tests a secret someone could guess (a password, an invite
   * token), so the gateway holds it to the low per-address limit (`AUTH_RATE_LIMIT_PER_MINUTE`).
   */
  rateLimit?: 'secret';
  summary: string;
  description?: string;
  /** Groups in the reference; each is described once in `API_TAGS`. */
  tags: [ApiTag, ...ApiTag[]];
  /**
   * Errors this operation can answer besides the ones every operation can (400, 401, 429, 500,
   * 503) and those its `access` implies (404, and 403 when some role is refused).
   */
  errors?: ApiErrorCode[];
  /**
   * When this operation answers each error, in the reference's words (`'Registration is
   * invite-only and …'`), without a final period. Needed for every 403, 404, 409 and 410 that the
   * operation's metadata does not explain by itself (the gateway refuses to build the document
   * otherwise); a project-scoped operation's 404 and 403, a 401 for a missing credential and a
   * creating operation's Idempotency-Key 409 have defaults derived from its metadata, which an
   * entry here replaces (for 409 the Idempotency-Key case is still added).
   */
  errorDescriptions?: Partial<Record<ApiErrorCode, string>>;
  /**
   * The request body is `multipart/form-data` with these fields instead of JSON. The REST
   * adapter carries JSON bodies only, so such an operation is served by a route of its own in
   * the gateway (`apps/gateway/src/uploads`), which turns the form into the operation's input;
   * its path, statuses, auth and document entry still come from here.
   */
  multipart?: z.ZodObject;
  /**
   * A conditional operation (RFC 9110; docs/api-contract.md, Conditional requests). Its answer
   * carries the resource's `version`, which the gateway also sends as the strong `ETag`
   * `"<version>"`. `read`: an `If-None-Match` naming the current ETag answers 304 without a
   * body. `write`: the input has `if_match` (`ifMatchShape`), which the gateway fills from the
   * `If-Match` header (never from the body or query); the service applies the write only when
   * the current version matches, in the statement that writes, else PRECONDITION_FAILED (412).
   */
  conditional?: 'read' | 'write';
}

/**
 * An internal operation: never published over REST, absent from the public client, callable
 * only by the apps named here — each service checks the calling app's signed assertion, and
 * the bus permissions (infra/nats) let no one else publish on its subject.
 */
export interface InternalBinding {
  callers: readonly [CallerName, ...CallerName[]];
  /**
   * `user`: runs for an end user, so the call must carry one (forwarded by the calling app).
   * `credential`: needs no signature, its input carries the proof (a credential to exchange).
   */
  auth?: 'user' | 'app' | 'credential';
}

/**
 * The role policy of a project-scoped operation: the service runtime learns the caller's role
 * in the project named by the input field `projectId` and refuses the call before the handler
 * runs — a non-member gets 404 (as if the project did not exist), a role below
 * `LOWEST_ROLE_FOR[action]` 403.
 */
export interface ProjectAccess {
  action: ProjectAction;
  /** The input field holding the project id: `id` for `/projects/{id}`, `projectId` for nested routes. */
  projectId: string;
}

interface OperationBase<I extends z.ZodType, O extends z.ZodType> {
  kind: 'query' | 'mutation';
  input: I;
  /** For list operations this is a page (`pageOf`), and the envelope carries `next_cursor`. */
  output: O;
  list?: boolean;
  /**
   * What the operation does with a password. Every operation that `verifies` one (sign-in,
   * changing the password) shares one budget of failed attempts per account, enforced by
   * identity; every operation with a password (`sets` too: registration) shares the gateway's
   * lower per-address budget (AUTH_RATE_LIMIT_PER_MINUTE). Declared here, never as a path list.
   */
  password?: 'verifies' | 'sets';
  /** Set on every project-scoped operation (see `ProjectAccess`). */
  access?: ProjectAccess;
  /**
   * Which scoped API keys (`project_ids`, `access: "read"`) may call this public operation when
   * it is not project-scoped (a project-scoped one is bound by the key's projects and, for a read
   * key, by `READ_ACTIONS`, wherever roles are enforced). Absent: no scoped key at all (403) —
   * the account's own operations (API keys, password), and any new operation until it says so.
   * `any`: every key, a read key included (sign-out, `GET /auth/me`). `all-projects`: keys
   * without `project_ids` (creating a project, joining one); a read key only for a query.
   * `filtered`: every key, the operation answering only the key's projects (`GET /projects`);
   * a read key only for a query.
   */
  scopedKeys?: ScopedKeys;
  /**
   * A mutation that is idempotent by nature (its second run finds the work done and answers the
   * same): the caller's transport may send it again to another instance when an attempt goes
   * unanswered, as it does for queries. Without it a mutation is never sent twice (see
   * nats-trpc's call-attempts.ts), and an instance lost mid-call holds its caller to the deadline.
   */
  repeatable?: true;
}

export type ScopedKeys = 'any' | 'all-projects' | 'filtered';

/** Every operation is exactly one of: public (on REST, called by the gateway) or internal. */
type Exposure = { rest: RestBinding; internal?: never } | { internal: InternalBinding; rest?: never };

export type Operation<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> = OperationBase<I, O> & Exposure;

type OperationDef<I extends z.ZodType, O extends z.ZodType> = Omit<OperationBase<I, O>, 'kind'> & Exposure;

/** Whether a call must carry an end user: public operations marked `user`, internal ones marked `user`. */
export function needsUser(operation: Operation): boolean {
  return operation.rest ? operation.rest.auth === 'user' : operation.internal.auth === 'user';
}

/**
 * Whether an operation takes an `Idempotency-Key`: every operation that creates (a mutation
 * answering 201). A repeat with the same key and body replays the first answer.
 */
export function acceptsIdempotencyKey(operation: Operation): boolean {
  return operation.kind === 'mutation' && operation.rest?.status === 201;
}

/** Operations grouped by resource: `{ projects: { list, get } }` → procedure `projects.list`. */
export type ServiceOperations = Record<string, Record<string, Operation>>;

export interface ServiceContract<N extends ServiceName = ServiceName, O extends ServiceOperations = ServiceOperations> {
  name: N;
  operations: O;
}

export function query<D extends OperationDef<z.ZodType, z.ZodType>>(def: D): D & { kind: 'query' } {
  return { ...def, kind: 'query' };
}

export function mutation<D extends OperationDef<z.ZodType, z.ZodType>>(def: D): D & { kind: 'mutation' } {
  return { ...def, kind: 'mutation' };
}

export function defineService<const N extends ServiceName, const O extends ServiceOperations>(
  name: N,
  operations: O,
): ServiceContract<N, O> {
  return { name, operations };
}

export interface OperationEntry {
  service: ServiceName;
  /** The tRPC procedure path inside its service, e.g. `projects.get`; also the NATS endpoint. */
  procedure: string;
  operation: Operation;
}

/**
 * The OpenAPI operationId of an operation: its procedure with `_` for `.` (`projects_list`).
 * One-to-one with the procedure, so stable, and unique across services because resource names
 * are; a valid identifier in every language a client generator writes, so none renames it.
 */
export function operationIdOf(entry: Pick<OperationEntry, 'procedure'>): string {
  return entry.procedure.replace('.', '_');
}

/** Every operation of a service, flattened, in declaration order. */
export function listOperations(contract: ServiceContract): OperationEntry[] {
  return Object.entries(contract.operations).flatMap(([resource, verbs]) =>
    Object.entries(verbs).map(([verb, operation]) => ({
      service: contract.name,
      procedure: `${resource}.${verb}`,
      operation,
    })),
  );
}
