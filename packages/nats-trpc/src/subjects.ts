/**
 * Subjects: `svc.<service>.v1.<procedure>` for calls (service first, so NATS credentials
 * can be scoped to `svc.projects.>`), one queue group per service so instances share load.
 */
export const API_VERSION = 'v1';

export function serviceSubjectPrefix(service: string): string {
  return `svc.${service}.${API_VERSION}.`;
}

export function procedureSubject(service: string, path: string): string {
  return serviceSubjectPrefix(service) + path;
}

export function queueGroup(service: string): string {
  return `svc-${service}`;
}

/** Headers that carry the call's metadata across the hop. */
export const HEADER = {
  requestId: 'atrium-request-id',
  /** The signed call assertion (see assertion.ts). */
  assertion: 'atrium-assertion',
  kind: 'atrium-procedure-kind',
  /** Absolute expiry of the call, milliseconds since the epoch (see `CallMeta.deadline`). */
  deadline: 'atrium-deadline',
} as const;
