import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { AtriumError, connectAtrium } from '@atrium/client';
import { API_ERROR_STATUS, CLIENT_APP, contracts, inboxPrefix, listOperations } from '@atrium/contract';
import type { ApiErrorCode, Operation } from '@atrium/contract';
import { createNatsTransport } from '@atrium/nats-trpc/nats-transport';
import { queryDatabase } from '@atrium/test-kit';
import { png } from './support/images.js';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

/**
 * The authorization matrix as one table: every public operation × every kind of caller, the
 * status each gets, over HTTP and over NATS as the `client` bus user (the typed client). The
 * table is written out, not derived from the contract's role table, so it checks that table too.
 */
const ROLE_CALLERS = ['anonymous', 'revoked', 'expired', 'outsider', 'viewer', 'member', 'admin', 'owner'] as const;
/**
 * API keys of the admin's (POST /auth/api-keys): `scoped-read` limited to the operation's project
 * and to reads, `scoped-write` limited to the project, `scoped-other` limited to another project
 * of the admin's. The project an operation acts on is the fixture's; for the others, a project
 * of the admin's own.
 */
const SCOPED_CALLERS = ['scoped-read', 'scoped-write', 'scoped-other'] as const;
const CALLERS = [...ROLE_CALLERS, ...SCOPED_CALLERS] as const;
type Caller = (typeof CALLERS)[number];
type ScopedCaller = (typeof SCOPED_CALLERS)[number];
type Row = readonly [number, number, number, number, number, number, number, number];
type ScopedRow = readonly [number, number, number];

const signedIn = (status: number): Row => [401, 401, 401, status, status, status, status, status];
const inProject = (viewer: number, member: number, admin: number, owner: number): Row => [401, 401, 401, 404, viewer, member, admin, owner];

/** Operation (`service.procedure`) → status per caller, in CALLERS order. */
const MATRIX: Record<string, Row> = {
  'identity.auth.register': [201, 201, 201, 201, 201, 201, 201, 201],
  'identity.auth.login': [200, 200, 200, 200, 200, 200, 200, 200],
  'identity.auth.logout': signedIn(204),
  'identity.auth.me': signedIn(200),
  'identity.auth.updateMe': signedIn(200),
  'identity.apiKeys.list': signedIn(200),
  'identity.apiKeys.create': signedIn(201),
  'identity.apiKeys.delete': signedIn(204),
  'identity.invites.list': inProject(403, 403, 200, 200),
  'identity.invites.create': inProject(403, 403, 201, 201),
  'identity.invites.delete': inProject(403, 403, 204, 204),
  'identity.invites.get': [200, 200, 200, 200, 200, 200, 200, 200],
  'identity.invites.accept': signedIn(200),
  'identity.invites.mine': signedIn(200),
  'projects.projects.list': signedIn(200),
  'projects.projects.create': signedIn(201),
  'projects.projects.get': inProject(200, 200, 200, 200),
  'projects.projects.update': inProject(403, 403, 200, 200),
  'projects.projects.delete': inProject(403, 403, 403, 204),
  'projects.projects.transfer': inProject(403, 403, 403, 200),
  'projects.events.list': inProject(403, 403, 200, 200),
  'projects.members.list': inProject(200, 200, 200, 200),
  'projects.members.add': inProject(403, 403, 201, 201),
  'projects.members.update': inProject(403, 403, 200, 200),
  // Removing the viewer's membership: the viewer leaving is allowed, a member removing another is not.
  'projects.members.delete': inProject(204, 403, 204, 204),
  'projects.icons.set': inProject(403, 403, 200, 200),
  'projects.icons.delete': inProject(403, 403, 204, 204),
  'projects.webhooks.list': inProject(403, 403, 200, 200),
  'projects.webhooks.create': inProject(403, 403, 201, 201),
  'projects.webhooks.delete': inProject(403, 403, 204, 204),
  'projects.webhooks.rotateSecret': inProject(403, 403, 200, 200),
  'projects.webhooks.deliveries': inProject(403, 403, 200, 200),
  'environments.environments.list': inProject(200, 200, 200, 200),
  'environments.environments.create': inProject(403, 201, 201, 201),
  'environments.environments.get': inProject(200, 200, 200, 200),
  'environments.environments.update': inProject(403, 200, 200, 200),
  'environments.environments.delete': inProject(403, 403, 204, 204),
  'environments.environments.setDefault': inProject(403, 200, 200, 200),
  'environments.environments.clone': inProject(403, 201, 201, 201),
  'environments.variables.list': inProject(200, 200, 200, 200),
  'environments.variables.put': inProject(403, 200, 200, 200),
  'environments.variables.delete': inProject(403, 204, 204, 204),
};

const allScoped = (status: number): ScopedRow => [status, status, status];
/** A project-scoped operation, by the admin's keys: the read key, the write key (admin's rights), and out of scope: 404. */
const scopedInProject = (read: number, write: number): ScopedRow => [read, write, 404];

/**
 * The scoped keys' columns (SCOPED_CALLERS order), per operation. A scoped key never exceeds
 * the admin's role (`scoped-write` is the admin's column above); a read key is refused every
 * write (403); a project outside the key is 404 as for a non-member; the account's own
 * operations (API keys, the password) are no scoped key's (403), nor are creating or joining
 * a project and another project's invites for a key limited to projects. Sign-out is every key's.
 */
const SCOPED_MATRIX: Record<string, ScopedRow> = {
  'identity.auth.register': allScoped(201),
  'identity.auth.login': allScoped(200),
  'identity.auth.logout': allScoped(204),
  'identity.auth.me': allScoped(200),
  'identity.auth.updateMe': allScoped(403),
  'identity.apiKeys.list': allScoped(403),
  'identity.apiKeys.create': allScoped(403),
  'identity.apiKeys.delete': allScoped(403),
  'identity.invites.list': scopedInProject(200, 200),
  'identity.invites.create': scopedInProject(403, 201),
  'identity.invites.delete': scopedInProject(403, 204),
  'identity.invites.get': allScoped(200),
  'identity.invites.accept': allScoped(403),
  'identity.invites.mine': allScoped(403),
  'projects.projects.list': allScoped(200),
  'projects.projects.create': allScoped(403),
  'projects.projects.get': scopedInProject(200, 200),
  'projects.projects.update': scopedInProject(403, 200),
  'projects.projects.delete': scopedInProject(403, 403),
  'projects.projects.transfer': scopedInProject(403, 403),
  'projects.events.list': scopedInProject(200, 200),
  'projects.members.list': scopedInProject(200, 200),
  'projects.members.add': scopedInProject(403, 201),
  'projects.members.update': scopedInProject(403, 200),
  'projects.members.delete': scopedInProject(403, 204),
  'projects.icons.set': scopedInProject(403, 200),
  'projects.icons.delete': scopedInProject(403, 204),
  'projects.webhooks.list': scopedInProject(200, 200),
  'projects.webhooks.create': scopedInProject(403, 201),
  'projects.webhooks.delete': scopedInProject(403, 204),
  'projects.webhooks.rotateSecret': scopedInProject(403, 200),
  'projects.webhooks.deliveries': scopedInProject(200, 200),
  'environments.environments.list': scopedInProject(200, 200),
  'environments.environments.create': scopedInProject(403, 201),
  'environments.environments.get': scopedInProject(200, 200),
  'environments.environments.update': scopedInProject(403, 200),
  'environments.environments.delete': scopedInProject(403, 204),
  'environments.environments.setDefault': scopedInProject(403, 200),
  'environments.environments.clone': scopedInProject(403, 201),
  'environments.variables.list': scopedInProject(200, 200),
  'environments.variables.put': scopedInProject(403, 200),
  'environments.variables.delete': scopedInProject(403, 204),
};

/**
 * Where NATS answers otherwise, and why: every call on the bus carries an assertion, and the
 * typed client gets its own by exchanging its credential first — so without a credential, or
 * with a revoked or expired one, even a public operation is refused. An icon is uploaded over
 * HTTP only (over NATS `icons.set` takes the path the gateway stored).
 */
const unsignedRefused = { anonymous: 401, revoked: 401, expired: 401 };
const OVER_NATS: Record<string, Partial<Record<Caller, number>> | 'http only'> = {
  'identity.auth.register': unsignedRefused,
  'identity.auth.login': unsignedRefused,
  'identity.invites.get': unsignedRefused,
  'projects.icons.set': 'http only',
};

/** A public address (TEST-NET-3, RFC 5737) given as an IP: no DNS needed, and it passes the SSRF guard. */
const WEBHOOK_URL = 'https://203.0.113.10/hook';

interface Fixture {
  projectId: string;
  viewerMemberId: string;
  stagingId: string;
  inviteId: string;
  inviteToken: string;
  apiKeyId: string;
  webhookId: string;
  login: { email: string; password: string };
}

let system: TestSystem;
type User = Awaited<ReturnType<typeof newUser>>;
const users = {} as Record<'outsider' | 'viewer' | 'member' | 'admin' | 'owner', User>;
let revokedKey: string;
let expiredKey: string;
/** Projects of the admin's own: the scope of its keys for operations on no project, and the other project. */
let adminHome: string;
let adminOther: string;
let bus: NatsConnection;

const sql = (text: string, values: unknown[] = []) => queryDatabase(system.databaseUrl, text, values);

beforeAll(async () => {
  system = await startTestSystem({ RATE_LIMIT_PER_MINUTE: '0', AUTH_RATE_LIMIT_PER_MINUTE: '0' });
  for (const who of ['outsider', 'viewer', 'member', 'admin', 'owner'] as const) users[who] = await newUser(system.api, `matrix-${who}`);
  const key = async (expires_at?: string) =>
    (await system.api('POST', '/auth/api-keys', { token: users.owner.token, body: { name: 'matrix', ...(expires_at && { expires_at }) } }))
      .body.data;
  const revoked = await key();
  expect((await system.api('DELETE', `/auth/api-keys/${revoked.id}`, { token: users.owner.token })).status).toBe(204);
  revokedKey = revoked.key;
  expiredKey = (await key(new Date(Date.now() + 1500).toISOString())).key;
  // Expired once the gateway refuses it (its clock, not this one, decides).
  while ((await system.api('GET', '/auth/me', { token: expiredKey })).status !== 401)
    await new Promise((resolve) => setTimeout(resolve, 200));
  inviter = await newUser(system.api, 'matrix-inviter');
  for (const which of ['home', 'other'] as const) {
    const made = await system.api('POST', '/projects', {
      token: users.admin.token,
      body: { name: `admin-${which}-${randomUUID().slice(0, 8)}` },
    });
    expect(made.status).toBe(201);
    if (which === 'home') adminHome = made.body.data.id;
    else adminOther = made.body.data.id;
  }
  bus = await connect({
    servers: system.natsUrl,
    user: CLIENT_APP,
    pass: system.natsCredentials.client?.password,
    inboxPrefix: inboxPrefix(CLIENT_APP),
  });
});
afterAll(async () => {
  await bus?.close();
  await system?.stop();
});

let inviter: User;
/** A project of the inviter's, each time a new one: the callers accept its invites and become members. */
const inviterProject = async () =>
  (await system.api('POST', '/projects', { token: inviter.token, body: { name: `invite-${randomUUID().slice(0, 8)}` } })).body.data
    .id as string;

/** Operations whose fixture is the caller's own: an invite to the caller's address, the caller's API key. */
const CALLERS_OWN = new Set(['identity.invites.get', 'identity.invites.accept', 'identity.apiKeys.delete']);

/** Whether `key` acts on a project: all but the account's own operations, and those that make or list projects. */
const needsProject = (key: string) =>
  !/^identity\.(auth|apiKeys)\./.test(key) &&
  ![
    'projects.projects.list',
    'projects.projects.create',
    'identity.invites.mine',
    'identity.invites.get',
    'identity.invites.accept',
  ].includes(key);

/** What `key` acts on, made by the owner: a project where each user has the role of its name, and what is in it. */
async function fixture(caller: Caller, key: string): Promise<Fixture> {
  const owner = users.owner;
  const f: Fixture = {
    projectId: randomUUID(),
    viewerMemberId: randomUUID(),
    stagingId: randomUUID(),
    inviteId: randomUUID(),
    inviteToken: 'ati_none',
    apiKeyId: randomUUID(),
    webhookId: randomUUID(),
    login: { email: users.owner.email, password: 'correct horse battery' },
  };
  const service = key.split('.')[0];
  if (needsProject(key)) {
    f.projectId = (
      await system.api('POST', '/projects', { token: owner.token, body: { name: `matrix-${randomUUID().slice(0, 8)}` } })
    ).body.data.id;
    for (const role of ['admin', 'member', 'viewer'] as const) {
      const id = randomUUID();
      if (role === 'viewer') f.viewerMemberId = id;
      await sql(
        'insert into projects.members (id, project_id, user_id, role, created_at, updated_at) values ($1, $2, $3, $4, now(), now())',
        [id, f.projectId, users[role].id, role],
      );
    }
  }
  if (service === 'environments') {
    f.stagingId = (
      await system.api('POST', `/projects/${f.projectId}/environments`, { token: owner.token, body: { name: 'staging', type: 'staging' } })
    ).body.data.id;
    await system.api('PUT', `/projects/${f.projectId}/environments/${f.stagingId}/variables/KEY`, {
      token: owner.token,
      body: { value: 'v' },
    });
  }
  if (key === 'identity.invites.delete') {
    f.inviteId = (
      await system.api('POST', `/projects/${f.projectId}/invites`, {
        token: owner.token,
        body: { email: `x-${randomUUID()}@example.com`, role: 'viewer' },
      })
    ).body.data.id;
  }
  if (key === 'identity.invites.get' || key === 'identity.invites.accept') {
    // To the caller's own address, in a project the caller is not in: it can accept it.
    const who = userOf(caller);
    const address = who ? who.email : `nobody-${randomUUID()}@example.com`;
    f.inviteToken = (
      await system.api('POST', `/projects/${await inviterProject()}/invites`, {
        token: inviter.token,
        body: { email: address, role: 'member' },
      })
    ).body.data.token;
  }
  if (key.startsWith('projects.webhooks.') && key !== 'projects.webhooks.list' && key !== 'projects.webhooks.create') {
    f.webhookId = (
      await system.api('POST', `/projects/${f.projectId}/webhooks`, { token: owner.token, body: { url: WEBHOOK_URL } })
    ).body.data.id;
  }
  if (key === 'identity.apiKeys.delete' && userOf(caller)) {
    // Made with a session of the user's (a scoped key may not make keys): the caller's own key to delete.
    f.apiKeyId = (
      await system.api('POST', '/auth/api-keys', { token: await freshToken(roleOf(caller)), body: { name: 'k' } })
    ).body.data.id;
  }
  return f;
}

const isScoped = (caller: Caller): caller is ScopedCaller => (SCOPED_CALLERS as readonly string[]).includes(caller);
/** The user whose role a caller acts with: its own, or the admin's for the admin's scoped keys. */
const roleOf = (caller: Caller): Exclude<Caller, ScopedCaller> => (isScoped(caller) ? 'admin' : caller);
const userOf = (caller: Caller): User | undefined => {
  const who = roleOf(caller);
  return who in users ? users[who as keyof typeof users] : undefined;
};

/**
 * A new session of the caller's, so an operation that ends or changes one leaves the others
 * alone; for a scoped caller a new API key of the admin's, scoped to the operation's project
 * (`f`), or to a project of the admin's own when the operation acts on none.
 */
async function freshToken(caller: Caller, key?: string, f?: Fixture): Promise<string | undefined> {
  if (caller === 'anonymous') return undefined;
  if (caller === 'revoked') return revokedKey;
  if (caller === 'expired') return expiredKey;
  if (isScoped(caller)) {
    const inScope = key && f && needsProject(key) ? f.projectId : adminHome;
    const made = await system.api('POST', '/auth/api-keys', {
      token: users.admin.token,
      body: {
        name: caller,
        project_ids: [caller === 'scoped-other' ? adminOther : inScope],
        access: caller === 'scoped-read' ? 'read' : 'write',
      },
    });
    expect(made.status).toBe(201);
    return made.body.data.key;
  }
  const login = await system.api('POST', '/auth/login', { body: { email: users[caller].email, password: 'correct horse battery' } });
  return login.body.data.token;
}

/** The operation's input: ids from the fixture, a valid body. */
function inputFor(key: string, f: Fixture): Record<string, unknown> {
  const environment = { projectId: f.projectId, envId: f.stagingId };
  const inputs: Record<string, Record<string, unknown>> = {
    'identity.auth.register': { email: `new-${randomUUID()}@example.com`, password: 'correct horse battery', name: 'New' },
    'identity.auth.login': f.login,
    'identity.auth.logout': {},
    'identity.auth.me': {},
    'identity.auth.updateMe': { name: 'Renamed' },
    'identity.apiKeys.list': {},
    'identity.apiKeys.create': { name: 'made in the matrix' },
    'identity.apiKeys.delete': { id: f.apiKeyId },
    'identity.invites.list': { id: f.projectId },
    'identity.invites.create': { id: f.projectId, email: `inv-${randomUUID()}@example.com`, role: 'member' },
    'identity.invites.delete': { id: f.projectId, inviteId: f.inviteId },
    'identity.invites.get': { token: f.inviteToken },
    'identity.invites.accept': { token: f.inviteToken },
    'identity.invites.mine': {},
    'projects.projects.list': {},
    'projects.projects.create': { name: `made-${randomUUID().slice(0, 8)}` },
    'projects.projects.get': { id: f.projectId },
    'projects.projects.update': { id: f.projectId, description: 'changed' },
    'projects.projects.delete': { id: f.projectId },
    'projects.projects.transfer': { id: f.projectId, new_owner_id: users.admin.id },
    'projects.events.list': { id: f.projectId },
    'projects.members.list': { id: f.projectId },
    'projects.members.add': { id: f.projectId, user_id: users.outsider.id, role: 'viewer' },
    'projects.members.update': { id: f.projectId, memberId: f.viewerMemberId, role: 'member' },
    'projects.members.delete': { id: f.projectId, memberId: f.viewerMemberId },
    'projects.icons.set': { id: f.projectId },
    'projects.icons.delete': { id: f.projectId },
    'projects.webhooks.list': { id: f.projectId },
    'projects.webhooks.create': { id: f.projectId, url: WEBHOOK_URL },
    'projects.webhooks.delete': { id: f.projectId, hookId: f.webhookId },
    'projects.webhooks.rotateSecret': { id: f.projectId, hookId: f.webhookId },
    'projects.webhooks.deliveries': { id: f.projectId, hookId: f.webhookId },
    'environments.environments.list': { projectId: f.projectId },
    'environments.environments.create': { projectId: f.projectId, name: 'qa', type: 'staging' },
    'environments.environments.get': environment,
    'environments.environments.update': { ...environment, description: 'changed' },
    'environments.environments.delete': { ...environment, force: 'true' },
    'environments.environments.setDefault': environment,
    'environments.environments.clone': { ...environment, name: 'cloned' },
    'environments.variables.list': environment,
    'environments.variables.put': { ...environment, key: 'KEY', value: 'w' },
    'environments.variables.delete': { ...environment, key: 'KEY' },
  };
  const input = inputs[key];
  if (!input) throw new Error(`no input for ${key}: add it to the matrix`);
  return input;
}

const publicOperations = contracts
  .flatMap((contract) => listOperations(contract))
  .filter((entry): entry is typeof entry & { operation: Operation & { rest: NonNullable<Operation['rest']> } } =>
    Boolean(entry.operation.rest),
  );

async function overHttp(operation: Operation & { rest: NonNullable<Operation['rest']> }, input: Record<string, unknown>, token?: string) {
  const rest = { ...input };
  const path = operation.rest.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = rest[name];
    delete rest[name];
    return encodeURIComponent(String(value));
  });
  if (operation.rest.multipart) {
    const form = new FormData();
    form.append('file', new Blob([png()], { type: 'image/png' }), 'icon.png');
    const response = await fetch(`${system.url}/api/v1${path}`, {
      method: 'POST',
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body: form,
    });
    return { status: response.status, text: await response.text() };
  }
  if (operation.rest.method === 'GET' || operation.rest.method === 'DELETE') {
    const query = new URLSearchParams(Object.entries(rest).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return system.api(operation.rest.method, query ? `${path}?${query}` : path, { token });
  }
  return system.api(operation.rest.method, path, { token, body: rest });
}

/** The status a NATS call ends with: the success status, or that of the AtriumError's code. */
async function overNats(
  service: string,
  procedure: string,
  operation: Operation & { rest: NonNullable<Operation['rest']> },
  input: Record<string, unknown>,
  token?: string,
) {
  try {
    if (token === undefined) {
      // No credential to exchange: the call goes without an assertion, as an anonymous caller's would.
      const transport = createNatsTransport(bus, { timeoutMs: 20_000 });
      await transport.call({ service, path: procedure, kind: operation.kind, input, meta: { requestId: randomUUID() } });
    } else {
      const atrium = await connectAtrium({
        servers: system.natsUrl,
        pass: system.natsCredentials.client?.password,
        credential: token,
        timeoutMs: 20_000,
      });
      try {
        const [resource, verb] = procedure.split('.') as [string, string];
        await (atrium as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>)[resource]![verb]!(input);
      } finally {
        await atrium.close();
      }
    }
    return { status: operation.rest.status, text: '' };
  } catch (error) {
    const code = (error as { code?: string; data?: { apiCode?: string } }).data?.apiCode ?? (error as { code?: string }).code;
    return {
      status: API_ERROR_STATUS[code as ApiErrorCode] ?? -1,
      text: `${error instanceof AtriumError ? 'AtriumError' : 'error'} ${String(error)}`,
    };
  }
}

let cells = 0;
describe('the authorization matrix', () => {
  afterAll(() => console.info(`authorization matrix: ${cells} cells (operation × caller × transport) checked`));

  it('has a row for every public operation', () => {
    expect(Object.keys(MATRIX).sort()).toEqual(publicOperations.map(({ service, procedure }) => `${service}.${procedure}`).sort());
    expect(Object.keys(SCOPED_MATRIX).sort()).toEqual(Object.keys(MATRIX).sort());
  });

  for (const { service, procedure, operation } of publicOperations) {
    const key = `${service}.${procedure}`;
    it(`${key} (${operation.rest.method} ${operation.rest.path})`, { timeout: 120_000 }, async () => {
      const expected = [...MATRIX[key]!, ...SCOPED_MATRIX[key]!];
      const seen: string[] = [];
      // A refused call changes nothing (the fuzz test holds every operation to that), so the
      // callers share one fixture until a call succeeds in changing it.
      let f: Fixture | undefined;
      let madeFor: Caller | undefined;
      const current = async (caller: Caller) => {
        if (!f || (CALLERS_OWN.has(key) && madeFor !== caller)) [f, madeFor] = [await fixture(caller, key), caller];
        return f;
      };
      const spent = (status: number) => {
        if (operation.kind === 'mutation' && status < 300) f = undefined;
      };
      for (const [i, caller] of CALLERS.entries()) {
        const fh = await current(caller);
        const http = await overHttp(operation, inputFor(key, fh), await freshToken(caller, key, fh));
        spent(http.status);
        cells++;
        if (http.status !== expected[i]) seen.push(`HTTP ${caller}: ${http.status} (want ${expected[i]}) ${http.text.slice(0, 160)}`);
        const nats = OVER_NATS[key];
        if (nats === 'http only') continue;
        const want = nats?.[caller] ?? expected[i];
        const fn = await current(caller);
        const answer = await overNats(service, procedure, operation, inputFor(key, fn), await freshToken(caller, key, fn));
        spent(answer.status);
        cells++;
        if (answer.status !== want) seen.push(`NATS ${caller}: ${answer.status} (want ${want}) ${answer.text.slice(0, 160)}`);
      }
      expect(seen).toEqual([]);
    });
  }
});
