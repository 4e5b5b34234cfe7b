import { READ_ACTIONS } from '@atrium/contract';
import type { Operation, ProjectAccess } from '@atrium/contract';
import type { CallMeta } from '@atrium/nats-trpc';
import { DomainError, notFound } from './errors.js';

/**
 * Scoped API keys (`project_ids`, `access: "read"`). The key's limits travel with its caller,
 * signed into every call's assertion (nats-trpc's `Caller.scope`): through the gateway, from a
 * client's session, and nested along every service hop. They are applied here, where roles are,
 * and only here: in the role check of every project-scoped operation (access.ts, which each
 * service runs — with its resolver, or from its handlers with `authorizeProjectRole`) and in
 * the check of who may call an operation (implement.ts) for the others. A key's limits never
 * add to its owner's rights: the role table still applies the owner's role of the moment.
 */

/** A project the caller's key is not scoped to: 404, exactly as for a project the caller is not in. */
export function refuseOutOfScope(meta: CallMeta, projectId: string): void {
  const projects = meta.caller?.scope?.projects;
  // The claims carry ids lower-cased; a UUID in a URL may be written either way.
  if (projects && !projects.includes(projectId.toLowerCase())) throw notFound('Project');
}

/** A read-only key doing anything but read (`READ_ACTIONS`) in a project: 403. */
export function refuseReadOnlyWrite(meta: CallMeta, access: ProjectAccess): void {
  if (meta.caller?.scope?.readOnly && !READ_ACTIONS.has(access.action)) {
    throw new DomainError('FORBIDDEN', 'This API key is read-only');
  }
}

/**
 * A public operation that is not project-scoped, called with a scoped key: allowed as the
 * contract's `scopedKeys` says (absent: no scoped key), and for a read-only key only when it
 * changes nothing (a query, or sign-out: `any`). Project-scoped operations are left to the role
 * check, internal ones to the public call they serve.
 */
export function refuseScopedKey(operation: Operation, meta: CallMeta): void {
  const scope = meta.caller?.scope;
  if (!scope || operation.access || operation.rest?.auth !== 'user') return;
  const allowed =
    operation.scopedKeys === 'any' ||
    (operation.scopedKeys === 'filtered' && !(scope.readOnly && operation.kind === 'mutation')) ||
    (operation.scopedKeys === 'all-projects' && !scope.projects && !(scope.readOnly && operation.kind === 'mutation'));
  if (!allowed) throw new DomainError('FORBIDDEN', 'This API key is scoped: it may not do this');
}
