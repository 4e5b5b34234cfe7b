import { randomBytes } from 'node:crypto';
import { CALLER_NAMES, busPermissions, renderAuthorization } from '@atrium/contract';
import type { BusPermissionOptions, CallerName } from '@atrium/contract';

/** Who may connect to a test run's nats-server: every app, a client, and `test`, which may do anything (to inspect streams). */
export type BusIdentity = CallerName | 'test';
export type BusCredentials = Partial<Record<BusIdentity, { user: string; password: string }>>;

/** Fresh passwords for every app and the `test` user. */
export function generateBusCredentials(): Required<BusCredentials> {
  const identities: BusIdentity[] = [...CALLER_NAMES, 'test'];
  return Object.fromEntries(
    identities.map((identity) => [identity, { user: identity, password: randomBytes(18).toString('base64url') }]),
  ) as Required<BusCredentials>;
}

/**
 * The nats-server authorization of a test run: the permissions `infra/` ships (one definition,
 * in the contract) plus the unrestricted `test` user. For the stream, namespace and bucket of
 * one system when given, else for any (a broker shared by test files that each make their own).
 */
export function testBusAuthorization(
  credentials: Required<BusCredentials>,
  names: BusPermissionOptions = { stream: '*', namespace: '*', uploadsBucket: '*' },
): string {
  const permissions = busPermissions(names);
  return renderAuthorization([...CALLER_NAMES.map((app) => ({ ...credentials[app], permissions: permissions[app] })), credentials.test]);
}

/** The settings an app reads to connect as `identity` (none when the bus has no authentication). */
export function busAuth(credentials: BusCredentials, identity: BusIdentity): { NATS_USER?: string; NATS_PASSWORD?: string } {
  const entry = credentials[identity];
  return entry ? { NATS_USER: entry.user, NATS_PASSWORD: entry.password } : {};
}
