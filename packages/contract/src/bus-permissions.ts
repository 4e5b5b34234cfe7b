import { CREDENTIAL_REVOKED_SUBJECT, SERVICE_SUBSCRIPTIONS, consumerName } from './events.js';
import { CALLER_NAMES, CLIENT_APP, SERVICE_NAMES, listOperations } from './operation.js';
import type { CallerName, ServiceName } from './operation.js';
import { contracts } from './service-contracts.js';

/**
 * Subjects: `svc.<service>.v1.<procedure>` for calls (service first, so bus permissions can be
 * scoped to `svc.projects.>`), one queue group per service so instances share load.
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

/**
 * Who may do what on the bus: the one definition behind `infra/`'s nats-server configuration and
 * the tests' nats-server, derived from the contract so a new operation is permitted where it
 * belongs and nowhere else.
 *
 * - the gateway publishes the public operations and the internal ones that name it;
 * - a service takes calls only on its own `svc.<name>.v1.>`, calls only the internal operations
 *   that name it, publishes only its own events (`<namespace>.<name>.>`) and notifications
 *   (`ntf.<name>.>`), and may manage only the events stream; it listens only to the events
 *   and notifications `SERVICE_SUBSCRIPTIONS` names for it, through its own durable consumer;
 * - a client (`@atrium/client`) publishes the public operations and the credential exchange;
 * - the deployer publishes only the internal operations that name it (resolving an environment's
 *   variables) and takes no calls;
 * - every app receives replies only on its own inbox prefix (`_INBOX_<app>.>`, see `inboxPrefix`),
 *   so no app can read another's answers; a service answers only onto the inboxes of the apps
 *   that may call it. No app has `allow_responses`: nats-server lets a response through to any
 *   reply subject the requester names, so a forged `$JS.API.…` reply would run as the service.
 */
export interface AppPermissions {
  publish: string[];
  subscribe: string[];
}

export interface BusPermissionOptions {
  /** The JetStream stream of durable events (`ATRIUM`); `*` for any (tests make one per file). */
  stream: string;
  /** The events' subject namespace (`evt`); `*` for any. */
  namespace: string;
  /** The object store bucket of uploads (`atrium-uploads`); `*` for any. */
  uploadsBucket: string;
}

/**
 * What the upload store (a JetStream object store, @nats-io/obj) needs on its bucket: open or
 * create it, read an object's metadata (direct get), read chunks through an ordered push
 * consumer (delivered to the app's own inbox, with flow control), and — to write — publish
 * chunks and metadata; a removal publishes a metadata tombstone and purges the chunks.
 */
function uploadSubjects(bucket: string, access: 'write' | 'remove'): string[] {
  const stream = bucket === '*' ? '*' : `OBJ_${bucket}`;
  const common = [
    '$JS.API.INFO',
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.CREATE.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.STREAM.PURGE.${stream}`,
    `$O.${bucket}.M.>`,
  ];
  if (access === 'remove') return common;
  return [
    ...common,
    `$O.${bucket}.C.>`,
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.DELETE.${stream}.>`,
    `$JS.API.CONSUMER.INFO.${stream}.>`,
    `$JS.FC.${stream}.>`,
  ];
}

/** The reply subjects of one app: nats.js is told to use this prefix for its inboxes. */
export function inboxPrefix(app: string): string {
  return `_INBOX_${app}`;
}

const allOperations = () => contracts.flatMap((contract) => listOperations(contract));

/** The apps that may call some operation of `service`: its answers go to their inboxes only. */
export function callersOf(service: ServiceName): CallerName[] {
  const callers = allOperations()
    .filter((entry) => entry.service === service)
    .flatMap(({ operation }) => (operation.internal ? operation.internal.callers : (['gateway', CLIENT_APP] as const)));
  return CALLER_NAMES.filter((caller) => callers.includes(caller));
}

/** The reply subject prefixes `service` may answer on (`_INBOX_<caller>.`), one per caller. */
export function replyPrefixesOf(service: ServiceName): string[] {
  return callersOf(service).map((caller) => `${inboxPrefix(caller)}.`);
}

export function busPermissions(options: BusPermissionOptions): Record<CallerName, AppPermissions> {
  const operations = allOperations();
  // Public operations: the gateway, and clients with a user's session.
  const callableBy = (app: CallerName) =>
    operations
      .filter(({ operation }) => (operation.internal ? operation.internal.callers.includes(app) : app === 'gateway' || app === CLIENT_APP))
      .map(({ service, procedure }) => procedureSubject(service, procedure));

  const permissions = {
    gateway: {
      // The gateway writes and serves uploads; it removes only an upload projects refused.
      publish: [...callableBy('gateway'), ...uploadSubjects(options.uploadsBucket, 'write')],
      subscribe: [`${inboxPrefix('gateway')}.>`, CREDENTIAL_REVOKED_SUBJECT],
    },
    [CLIENT_APP]: {
      publish: callableBy(CLIENT_APP),
      subscribe: [`${inboxPrefix(CLIENT_APP)}.>`],
    },
    deployer: {
      publish: callableBy('deployer'),
      subscribe: [`${inboxPrefix('deployer')}.>`],
    },
  } as Record<CallerName, AppPermissions>;
  for (const service of SERVICE_NAMES) {
    const listens: { consumers: Record<string, readonly string[]>; notifications: readonly string[] } = SERVICE_SUBSCRIPTIONS[service];
    // Its own durable consumers (`<service>_<purpose>`) on the events stream: create or update
    // them, read them, pull from them and acknowledge — nothing of any other consumer.
    const consuming = Object.keys(listens.consumers).flatMap((purpose) => {
      const consumer = `${options.stream}.${consumerName(service, purpose)}`;
      return [
        `$JS.API.CONSUMER.CREATE.${consumer}`,
        `$JS.API.CONSUMER.CREATE.${consumer}.>`,
        `$JS.API.CONSUMER.DURABLE.CREATE.${consumer}`,
        `$JS.API.CONSUMER.INFO.${consumer}`,
        `$JS.API.CONSUMER.MSG.NEXT.${consumer}`,
        `$JS.ACK.${consumer}.>`,
      ];
    });
    permissions[service] = {
      publish: [
        ...callableBy(service),
        // Its answers, onto its callers' inboxes and nowhere else.
        ...replyPrefixesOf(service).map((prefix) => `${prefix}>`),
        `${options.namespace}.${service}.>`,
        `ntf.${service}.>`,
        // What ensureEventStream and publishing to the stream need, for this stream only.
        '$JS.API.INFO',
        `$JS.API.STREAM.INFO.${options.stream}`,
        `$JS.API.STREAM.CREATE.${options.stream}`,
        `$JS.API.STREAM.UPDATE.${options.stream}`,
        ...consuming,
        // Projects removes the icons its changes unreference.
        ...(service === 'projects' ? uploadSubjects(options.uploadsBucket, 'remove') : []),
      ],
      subscribe: [`${serviceSubjectPrefix(service)}>`, `${inboxPrefix(service)}.>`, ...listens.notifications],
    };
  }
  // A caller without an entry would be rendered without permissions, free to do anything.
  const missing = CALLER_NAMES.filter((caller) => !permissions[caller]);
  if (missing.length > 0) throw new Error(`no bus permissions for ${missing.join(', ')}`);
  for (const entry of Object.values(permissions)) entry.publish = [...new Set(entry.publish)];
  return permissions;
}

export interface BusUser {
  user: string;
  /** A literal, or a `$VARIABLE` nats-server reads from its environment. */
  password: string;
  permissions?: AppPermissions;
}

const list = (subjects: string[]) => `[${subjects.map((subject) => JSON.stringify(subject)).join(', ')}]`;

/** nats-server's `authorization` block for these users (a user without permissions may do anything). */
export function renderAuthorization(users: BusUser[]): string {
  const lines = users.map(({ user, password, permissions }) => {
    const secret = password.startsWith('$') ? password : JSON.stringify(password);
    if (!permissions) return `    { user: ${JSON.stringify(user)}, password: ${secret} }`;
    return [
      `    { user: ${JSON.stringify(user)}, password: ${secret}, permissions: {`,
      `        publish: { allow: ${list(permissions.publish)} }`,
      `        subscribe: { allow: ${list(permissions.subscribe)} }`,
      '    } }',
    ].join('\n');
  });
  return `authorization {\n  users: [\n${lines.join('\n')}\n  ]\n}\n`;
}

/**
 * The configuration `infra/` ships: each app's password comes from the server's environment
 * (`ATRIUM_<APP>_NATS_PASSWORD`), so the file holds no secret and is generated, never edited.
 */
export function productionAuthorization(): string {
  const permissions = busPermissions({ stream: 'ATRIUM', namespace: 'evt', uploadsBucket: 'atrium-uploads' });
  return [
    '# Generated from packages/contract/src/bus-permissions.ts (the one definition of who may do',
    '# what on the bus); a test fails when this file and that definition differ. Regenerate with',
    '#   pnpm nats-authorization',
    '# Passwords come from the environment of nats-server: ATRIUM_<APP>_NATS_PASSWORD.',
    renderAuthorization(
      CALLER_NAMES.map((app) => ({
        user: app,
        password: `$ATRIUM_${app.toUpperCase()}_NATS_PASSWORD`,
        permissions: permissions[app],
      })),
    ),
  ].join('\n');
}
