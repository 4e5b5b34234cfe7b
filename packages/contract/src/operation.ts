import type { z } from 'zod';
import type { ApiErrorCode } from './errors.js';

export const SERVICE_NAMES = ['projects', 'identity', 'environments'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

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
  summary: string;
  description?: string;
  tags: [string, ...string[]];
  /** Errors this operation can answer besides the ones every operation can (400, 401, 429, 500, 503). */
  errors?: ApiErrorCode[];
}

export interface Operation<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  kind: 'query' | 'mutation';
  input: I;
  /** For list operations this is a page (`pageOf`), and the envelope carries `next_cursor`. */
  output: O;
  list?: boolean;
  /** Absent for internal operations, which only services call. */
  rest?: RestBinding;
}

/** Operations grouped by resource: `{ projects: { list, get } }` → procedure `projects.list`. */
export type ServiceOperations = Record<string, Record<string, Operation>>;

export interface ServiceContract<N extends ServiceName = ServiceName, O extends ServiceOperations = ServiceOperations> {
  name: N;
  operations: O;
}

export function query<I extends z.ZodType, O extends z.ZodType>(
  def: Omit<Operation<I, O>, 'kind'>,
): Operation<I, O> & { kind: 'query' } {
  return { ...def, kind: 'query' };
}

export function mutation<I extends z.ZodType, O extends z.ZodType>(
  def: Omit<Operation<I, O>, 'kind'>,
): Operation<I, O> & { kind: 'mutation' } {
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
  /** The tRPC procedure path inside its service, e.g. `projects.get`; also the NATS endpoint and operationId. */
  procedure: string;
  operation: Operation;
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
