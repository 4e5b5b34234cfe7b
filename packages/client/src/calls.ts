import type { Operation, ServiceContract } from '@atrium/contract';
import { AtriumError, abortedError, toAtriumError } from './errors.js';

/** The default `timeoutMs` of a call. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** The longest a timer can wait in Node.js (~24.8 days): any longer `timeoutMs` is this. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export function checkTimeout(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new AtriumError('BAD_REQUEST', `timeoutMs must be a positive number of milliseconds, not ${String(value)}`);
  }
  return Math.min(value, MAX_TIMEOUT_MS);
}

/**
 * Settles as `work` does, unless the caller's deadline passes first (SERVICE_UNAVAILABLE, as a
 * service not answering in time is) or its signal aborts (ABORTED); then `work` is left to end
 * on its own. Any failure is an `AtriumError`.
 */
export function bounded<T>(work: Promise<T>, service: string, deadline: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new AtriumError('SERVICE_UNAVAILABLE', `The ${service} service did not answer in time`)),
      Math.max(0, deadline - Date.now()),
    );
    const onAbort = () => reject(abortedError(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    work
      .then(resolve, (error: unknown) => reject(toAtriumError(error)))
      .finally(() => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      });
  });
}

type Invoke<O> = (contract: ServiceContract, path: string, operation: Operation, input: unknown, options?: O) => Promise<unknown>;

/** The client's methods by resource and verb: every operation of `contracts` that `include` lets this caller call. */
export function operationTable<O>(
  contracts: readonly ServiceContract[],
  include: (operation: Operation) => boolean,
  invoke: Invoke<O>,
): Record<string, Record<string, (input: unknown, options?: O) => Promise<unknown>>> {
  const table: Record<string, Record<string, (input: unknown, options?: O) => Promise<unknown>>> = {};
  for (const contract of contracts) {
    for (const [resource, verbs] of Object.entries(contract.operations)) {
      for (const [verb, operation] of Object.entries(verbs)) {
        if (!include(operation)) continue;
        table[resource] ??= {};
        table[resource][verb] = (input, options) => invoke(contract, `${resource}.${verb}`, operation, input, options);
      }
    }
  }
  return table;
}
