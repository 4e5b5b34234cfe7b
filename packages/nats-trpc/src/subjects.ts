// Subject naming is part of the contract (the bus permissions are derived from it too).
export { API_VERSION, procedureSubject, queueGroup, serviceSubjectPrefix } from '@atrium/contract';

/** Headers that carry the call's metadata across the hop. */
export const HEADER = {
  requestId: 'atrium-request-id',
  /** The signed call assertion (see assertion.ts). */
  assertion: 'atrium-assertion',
  kind: 'atrium-procedure-kind',
  /** Absolute expiry of the call, milliseconds since the epoch (see `CallMeta.deadline`). */
  deadline: 'atrium-deadline',
  /** The client's Idempotency-Key (see `CallMeta.idempotencyKey`). */
  idempotencyKey: 'atrium-idempotency-key',
  /** Which copy of a repeated call this is (see `CallMeta.attempt`); absent on the first. */
  attempt: 'atrium-attempt',
} as const;
