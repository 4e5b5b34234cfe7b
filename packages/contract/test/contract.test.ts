import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  CALLER_NAMES,
  DOMAIN_EVENTS,
  busPermissions,
  contractClient,
  environmentsContract,
  identityContract,
  PROJECT_ROLES,
  READ_ACTIONS,
  SERVICE_CONTRACTS,
  SERVICE_NAMES,
  contracts,
  createProjectExample,
  createProjectInput,
  listOperations,
  registerInput,
  roleAllows,
  updateProjectInput,
} from '../src/index.js';
import type { InternalContractClient, Operation, PublicContractClient } from '../src/index.js';

describe('the role table', () => {
  const allowed = (action: Parameters<typeof roleAllows>[1]) => PROJECT_ROLES.filter((role) => roleAllows(role, action));
  it('matches the contract', () => {
    expect(allowed('project.read')).toEqual(['owner', 'admin', 'member', 'viewer']);
    expect(allowed('members.read')).toEqual(['owner', 'admin', 'member', 'viewer']);
    expect(allowed('environments.read')).toEqual(['owner', 'admin', 'member', 'viewer']);
    expect(allowed('project.leave')).toEqual(['owner', 'admin', 'member', 'viewer']);
    expect(allowed('invites.manage')).toEqual(['owner', 'admin']);
    expect(allowed('environments.write')).toEqual(['owner', 'admin', 'member']);
    expect(allowed('environments.delete')).toEqual(['owner', 'admin']);
    expect(allowed('project.update')).toEqual(['owner', 'admin']);
    expect(allowed('members.manage')).toEqual(['owner', 'admin']);
    expect(allowed('project.delete')).toEqual(['owner']);
    expect(allowed('project.transfer')).toEqual(['owner']);
  });

  it('names the actions a read-only API key may do', () => {
    expect(allowed('invites.read')).toEqual(['owner', 'admin']);
    expect(allowed('webhooks.read')).toEqual(['owner', 'admin']);
    expect([...READ_ACTIONS].sort()).toEqual([
      'environments.read',
      'invites.read',
      'members.read',
      'project.audit',
      'project.read',
      'webhooks.read',
    ]);
  });
});

describe('project schemas', () => {
  it('accept the spec example and the name rule', () => {
    expect(createProjectInput.safeParse(createProjectExample).success).toBe(true);
    for (const name of ['a', 'a1', 'my-app-2', 'x'.repeat(63)]) expect(createProjectInput.safeParse({ name }).success, name).toBe(true);
    for (const name of ['', '-a', 'a-', 'A', 'a_b', 'a b', 'x'.repeat(64)])
      expect(createProjectInput.safeParse({ name }).success, name).toBe(false);
  });

  it('refuse unknown fields and wrong types, and do not coerce', () => {
    expect(createProjectInput.safeParse({ name: 'ok', extra: true }).success).toBe(false);
    expect(createProjectInput.safeParse({ name: 'ok', single_server_mode: 'true' }).success).toBe(false);
    expect(updateProjectInput.safeParse({ id: '550e8400-e29b-41d4-a716-446655440000', color: null }).success).toBe(true);
    expect(updateProjectInput.safeParse({ id: '550e8400-e29b-41d4-a716-446655440000', name: null }).success).toBe(false);
  });

  it('lower-case e-mail addresses', () => {
    expect(registerInput.parse({ email: ' Ada@Example.COM ', password: 'long enough' }).email).toBe('ada@example.com');
  });
});

describe('operations', () => {
  const entries = contracts.flatMap((contract) => listOperations(contract));
  it('have unique REST routes and operation ids', () => {
    const rest = entries.filter((entry) => entry.operation.rest);
    const routes = rest.map((entry) => `${entry.operation.rest!.method} ${entry.operation.rest!.path}`);
    expect(new Set(routes).size).toBe(routes.length);
    const ids = rest.map((entry) => entry.procedure);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('use 201 for creations and 204 with no output for deletions', () => {
    for (const { procedure, operation } of entries) {
      if (!operation.rest) continue;
      if (operation.rest.method === 'DELETE') expect(operation.rest.status, procedure).toBe(204);
      if (procedure.endsWith('.create') || procedure === 'auth.register') expect(operation.rest.status, procedure).toBe(201);
    }
  });
});

describe('project-scoped operations', () => {
  const entries = contracts.flatMap((contract) => listOperations(contract));
  const isProjectRoute = (path: string) => /^\/projects\/\{(id|projectId)\}/.test(path);

  it('every route under /projects/{id} declares its access policy, and only those routes', () => {
    for (const { service, procedure, operation } of entries) {
      if (!operation.rest) continue;
      expect(Boolean(operation.access), `${service}.${procedure}`).toBe(isProjectRoute(operation.rest.path));
    }
  });

  it('name a UUID input field as the project id and act for a user', () => {
    for (const { service, procedure, operation } of entries) {
      if (!operation.access) continue;
      const name = `${service}.${procedure}`;
      const shape = (operation.input as unknown as { shape?: Record<string, { format?: string }> }).shape;
      expect(shape?.[operation.access.projectId]?.format, name).toBe('uuid');
      expect(operation.rest?.auth ?? operation.internal?.auth, name).toBe('user');
    }
  });

  it('read only with a read action, so a read-only API key is refused exactly the writes', () => {
    for (const { service, procedure, operation } of entries) {
      if (!operation.access) continue;
      const name = `${service}.${procedure}`;
      if (operation.kind === 'mutation') expect(READ_ACTIONS.has(operation.access.action), name).toBe(false);
      if (operation.rest?.method === 'GET') expect(READ_ACTIONS.has(operation.access.action), name).toBe(true);
    }
  });

  it('say which scoped API keys may call them only when they are not project-scoped', () => {
    for (const { service, procedure, operation } of entries) {
      if (operation.scopedKeys === undefined) continue;
      expect(operation.access, `${service}.${procedure}`).toBeUndefined();
      expect(operation.rest?.auth, `${service}.${procedure}`).toBe('user');
    }
  });
});

describe('internal operations', () => {
  const entries = contracts.flatMap((contract) => listOperations(contract));
  it('are a kind of their own: every operation is either on REST or internal, with the apps that may call it', () => {
    for (const { service, procedure, operation } of entries) {
      expect(Boolean(operation.rest) !== Boolean(operation.internal), `${service}.${procedure}`).toBe(true);
      for (const caller of operation.internal?.callers ?? []) expect(CALLER_NAMES).toContain(caller);
    }
    expect(identityContract.operations.credentials.authenticate.internal.callers).toEqual(['gateway']);
  });

  it('are left out of the public client, in its type and at run time', () => {
    const client = contractClient(identityContract, async () => undefined, { publicOnly: true });
    expect(Object.keys(client).sort()).toEqual(['apiKeys', 'auth', 'invites']);
    expect(Object.keys(client.invites).sort()).toEqual(['accept', 'create', 'delete', 'get', 'list', 'mine']);
    expectTypeOf<PublicContractClient<typeof identityContract>>().not.toHaveProperty('credentials');
    expectTypeOf<PublicContractClient<typeof identityContract>>().not.toHaveProperty('health');
    expectTypeOf<PublicContractClient<typeof identityContract>>().not.toHaveProperty('users');
    expectTypeOf<PublicContractClient<typeof identityContract>['auth']>().toHaveProperty('login');
  });
});

describe('the list of services', () => {
  it('is declared once: SERVICE_CONTRACTS has one contract per service name, named by its key', () => {
    expect(Object.keys(SERVICE_CONTRACTS).sort()).toEqual([...SERVICE_NAMES].sort());
    for (const [name, contract] of Object.entries(SERVICE_CONTRACTS)) expect(contract.name).toBe(name);
    expect(contracts).toEqual(Object.values(SERVICE_CONTRACTS));
  });
});

describe('the deployer', () => {
  const entries = contracts.flatMap((contract) => listOperations(contract));
  it('may call environments.variables.resolve and nothing else, and nothing else may call it', () => {
    const callable = entries.filter(({ operation }) => operation.internal?.callers.includes('deployer'));
    expect(callable.map(({ service, procedure }) => `${service}.${procedure}`)).toEqual(['environments.variables.resolve']);
    expect(environmentsContract.operations.variables.resolve.internal.callers).toEqual(['deployer']);
    expect((environmentsContract.operations.variables.resolve as Operation).rest).toBeUndefined();
    expectTypeOf<InternalContractClient<typeof environmentsContract, 'deployer'>>().toHaveProperty('variables');
    expectTypeOf<InternalContractClient<typeof environmentsContract, 'deployer'>['variables']>().toHaveProperty('resolve');
    expectTypeOf<InternalContractClient<typeof environmentsContract, 'deployer'>['variables']>().not.toHaveProperty('list');
    expectTypeOf<InternalContractClient<typeof environmentsContract, 'deployer'>>().not.toHaveProperty('environments');
    expectTypeOf<InternalContractClient<typeof environmentsContract, 'gateway'>>().not.toHaveProperty('variables');
  });

  it('publishes only that operation on the bus and reads only its own inbox', () => {
    const permissions = busPermissions({ stream: 'ATRIUM', namespace: 'evt', uploadsBucket: 'atrium-uploads' });
    expect(permissions.deployer).toEqual({ publish: ['svc.environments.v1.variables.resolve'], subscribe: ['_INBOX_deployer.>'] });
    for (const caller of CALLER_NAMES) {
      expect(permissions[caller], caller).toBeDefined();
      if (caller !== 'deployer') expect(permissions[caller].publish, caller).not.toContain('svc.environments.v1.variables.resolve');
    }
    // Environments answers it on the deployer's inbox.
    expect(permissions.environments.publish).toContain('_INBOX_deployer.>');
  });

  it('is recorded as variables_resolved with key names only', () => {
    const schema = DOMAIN_EVENTS['environments.v1.variables_resolved'];
    const event = {
      project_id: crypto.randomUUID(),
      environment_id: crypto.randomUUID(),
      name: 'production',
      keys: ['A'],
      caller: 'deployer',
    };
    expect(schema.parse(event)).toEqual(event);
    expect(Object.keys(schema.shape).sort()).toEqual(['caller', 'environment_id', 'keys', 'name', 'project_id']);
    expect(schema.safeParse({ ...event, caller: 'gateway' }).success).toBe(false);
  });
});
