/**
 * The yardstick of `pnpm bench`: what a hand-written monolith would do for the same REST calls —
 * one Fastify process, `pg`, the contract's zod schemas for input, the same envelope — on the
 * same database and data as Atrium (it reads and writes the services' tables directly).
 * Every request looks its bearer token up (sessions joined with users); project-scoped
 * calls read the project joined with the caller's membership, as Atrium's services do.
 * No outbox, no signed caller, no second process: that difference is what is measured.
 *
 * A careful monolith's writes: one transaction each, with the audit trail's row in it (the row
 * Atrium's `projects_audit` consumer writes for the same change: same table, same columns, the
 * event's type and data); secret variables sealed with the same cipher and key as Atrium's
 * environments service (so they open there too); a project's delete takes its environments
 * (and through them their variables) with it, as Atrium's cascade does afterwards.
 *
 *   node --import tsx bench/baseline.ts   (DATABASE_URL, PORT, ENCRYPTION_KEY; started by load.ts)
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import pg from 'pg';
import {
  DEFAULT_ENVIRONMENT,
  credentialDigest,
  createProjectInput,
  deleteProjectInput,
  environmentSchema,
  listEnvironmentsInput,
  listProjectsInput,
  listVariablesInput,
  matchesVersion,
  projectSchema,
  putVariableInput,
  roleAllows,
  updateProjectInput,
  variableSchema,
} from '@atrium/contract';
import type { ProjectAction, ProjectRole } from '@atrium/contract';
import { createSecretCipher, parseKey } from '@atrium/service-runtime/settings';
import type { z } from 'zod';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 10) });
const cipher = createSecretCipher(parseKey(process.env.ENCRYPTION_KEY ?? '', 'ENCRYPTION_KEY'));
// A client's X-Request-Id is the request's id, as at Atrium's gateway; otherwise a new one. It goes into the audit trail.
const app = Fastify({ logger: false, requestIdHeader: 'x-request-id', genReqId: () => randomUUID() });

type Row = Record<string, unknown>;
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** An object of the contract from its row: its fields are the table's columns (snake_case both), instants as ISO strings. */
const dtoOf = (fields: readonly string[]) => (row: Row) =>
  Object.fromEntries(fields.map((field) => [field, row[field] instanceof Date ? (row[field] as Date).toISOString() : row[field]]));
const projectDto = dtoOf(Object.keys(projectSchema.shape));
const environmentDto = dtoOf(Object.keys(environmentSchema.shape));
// A secret's value is null in its row already: never returned, as at Atrium.
const variableDto = dtoOf(Object.keys(variableSchema.shape));

/** The columns a create or update body writes: its fields (the update's `id` is the key, `if_match` its precondition). */
const CREATE_COLUMNS = Object.keys(createProjectInput.shape);
const UPDATE_COLUMNS = Object.keys(updateProjectInput.shape).filter((field) => field !== 'id' && field !== 'if_match');
/** What a create body leaves out, as the service does: `display_name` is the name, the flags false, the rest null. */
const createValue = (input: Row, column: string) =>
  input[column] ??
  (column === 'display_name' ? input.name : column === 'single_server_mode' || column === 'auto_error_tracking_enabled' ? false : null);
const INSERT_PROJECT = `insert into projects.projects (id, ${CREATE_COLUMNS.join(', ')}, created_at, updated_at)
  values ($1, ${CREATE_COLUMNS.map((_, i) => `$${i + 2}`).join(', ')}, $${CREATE_COLUMNS.length + 2}, $${CREATE_COLUMNS.length + 2}) returning *`;
const UPDATE_PROJECT = `update projects.projects set ${UPDATE_COLUMNS.map((column, i) => `${column} = $${i + 2}`).join(', ')},
  updated_at = $${UPDATE_COLUMNS.length + 2}, version = version + 1 where id = $1 returning *`;

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, 'BAD_REQUEST', result.error.issues[0]?.message ?? 'Invalid input');
  return result.data;
}

async function userOf(request: FastifyRequest): Promise<string> {
  const header = request.headers.authorization;
  const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
  if (!token) throw new HttpError(401, 'UNAUTHORIZED', 'Authentication required');
  const { rows } = await pool.query(
    'select u.id from identity.sessions s join identity.users u on u.id = s.user_id where s.token_hash = $1 and s.expires_at > now()',
    [credentialDigest(token)],
  );
  if (!rows[0]) throw new HttpError(401, 'UNAUTHORIZED', 'Invalid or expired credential');
  return rows[0].id as string;
}

const MEMBERSHIP = `select p.*, m.role as member_role
  from projects.members m join projects.projects p on p.id = m.project_id
  where m.project_id = $1 and m.user_id = $2`;

/** The caller's role in the environment's project (or 404: not a member, or no such environment in it), and the environment's name. */
const ENVIRONMENT_MEMBERSHIP = `select m.role as member_role, e.name
  from projects.members m join environments.environments e on e.project_id = m.project_id
  where m.project_id = $1 and m.user_id = $2 and e.id = $3`;

function authorize(role: ProjectRole, action: ProjectAction): void {
  if (!roleAllows(role, action)) throw new HttpError(403, 'FORBIDDEN', 'Not allowed');
}

/** One transaction: commits what `work` did, or rolls it all back. */
async function transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
}

/** The change's entry in the project's audit trail, in the change's transaction (see apps/projects/src/audit/audit-trail.ts). */
async function recordAudit(
  client: pg.PoolClient,
  request: FastifyRequest,
  userId: string,
  type: string,
  data: { project_id: string } & Row,
): Promise<void> {
  await client.query(
    `insert into projects.audit_events (id, project_id, type, actor_id, request_id, created_at, data) values ($1, $2, $3, $4, $5, $6, $7)`,
    [randomUUID(), data.project_id, type, userId, request.id, new Date(), JSON.stringify(data)],
  );
}

function cursorOf(row: Row): string {
  return Buffer.from(JSON.stringify([(row.created_at as Date).toISOString(), row.id])).toString('base64url');
}
function decodeCursor(cursor: string): [string, string] {
  const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
  if (!Array.isArray(decoded) || decoded.length !== 2) throw new HttpError(400, 'BAD_REQUEST', 'Invalid cursor');
  return decoded;
}
const page = (rows: Row[], limit: number, toItem: (row: Row) => unknown) => ({
  success: true,
  data: rows.slice(0, limit).map(toItem),
  next_cursor: rows.length > limit ? cursorOf(rows[limit - 1]!) : null,
});

app.setErrorHandler((error, _request, reply: FastifyReply) => {
  const known = error instanceof HttpError ? error : new HttpError(500, 'INTERNAL_ERROR', 'Internal error');
  void reply.status(known.status).send({ success: false, error: { code: known.code, message: known.message } });
});

app.get<{ Params: { id: string } }>('/api/v1/projects/:id', async (request) => {
  const userId = await userOf(request);
  const { id } = parse(updateProjectInput.pick({ id: true }), request.params);
  const { rows } = await pool.query(MEMBERSHIP, [id, userId]);
  if (!rows[0]) throw new HttpError(404, 'NOT_FOUND', 'Project not found');
  return { success: true, data: projectDto(rows[0]) };
});

app.get('/api/v1/projects', async (request) => {
  const userId = await userOf(request);
  const { limit, cursor } = parse(listProjectsInput, request.query);
  const after = cursor ? decodeCursor(cursor) : undefined;
  const { rows } = await pool.query(
    `select p.* from projects.members m join projects.projects p on p.id = m.project_id
      where m.user_id = $1 ${after ? 'and (p.created_at, p.id) > ($3, $4)' : ''}
      order by p.created_at, p.id limit $2`,
    after ? [userId, limit + 1, ...after] : [userId, limit + 1],
  );
  return page(rows, limit, projectDto);
});

app.post('/api/v1/projects', async (request, reply) => {
  const userId = await userOf(request);
  const input = parse(createProjectInput, request.body);
  try {
    const project = await transaction(async (client) => {
      const now = new Date();
      const { rows } = await client.query(INSERT_PROJECT, [
        randomUUID(),
        ...CREATE_COLUMNS.map((column) => createValue(input, column)),
        now,
      ]);
      const created = rows[0]!;
      await client.query(
        `insert into projects.members (id, project_id, user_id, role, created_at, updated_at) values ($1, $2, $3, 'owner', $4, $4)`,
        [randomUUID(), created.id, userId, now],
      );
      await client.query(
        `insert into environments.environments (id, project_id, name, display_name, type, is_default, created_at, updated_at)
         values ($1, $2, $3, $3, $4, true, $5, $5)`,
        [randomUUID(), created.id, DEFAULT_ENVIRONMENT.name, DEFAULT_ENVIRONMENT.type, now],
      );
      await recordAudit(client, request, userId, 'projects.v1.created', { project_id: created.id, name: created.name });
      return created;
    });
    void reply.status(201);
    return { success: true, data: projectDto(project) };
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw new HttpError(409, 'CONFLICT', 'A project with that name already exists');
    throw error;
  }
});

app.put<{ Params: { id: string } }>('/api/v1/projects/:id', async (request) => {
  const userId = await userOf(request);
  const input = parse(updateProjectInput, { ...(request.body as object), id: request.params.id });
  const updated = await transaction(async (client) => {
    const { rows } = await client.query(`${MEMBERSHIP} for update of p`, [input.id, userId]);
    const current = rows[0];
    if (!current) throw new HttpError(404, 'NOT_FOUND', 'Project not found');
    authorize(current.member_role, 'project.update');
    const { rows: changed } = await client.query(UPDATE_PROJECT, [
      input.id,
      ...UPDATE_COLUMNS.map((column) => ((input as Row)[column] === undefined ? current[column] : (input as Row)[column])),
      new Date(),
    ]);
    // The fields the body gave, as Atrium's event names them.
    const fields = UPDATE_COLUMNS.filter((column) => (input as Row)[column] !== undefined);
    if (fields.length)
      await recordAudit(client, request, userId, 'projects.v1.updated', { project_id: input.id, name: changed[0]!.name, fields });
    return changed[0]!;
  });
  return { success: true, data: projectDto(updated) };
});

/**
 * The project, its memberships (foreign key, on delete cascade), its environments and through
 * them their variables: all in one transaction, with the audit row. No tombstone as Atrium's
 * environments keeps: in one transaction there is no moment between the project's delete and
 * its environments' for a write to slip into.
 */
app.delete<{ Params: { id: string } }>('/api/v1/projects/:id', async (request, reply) => {
  const userId = await userOf(request);
  const { id } = parse(deleteProjectInput, request.params);
  await transaction(async (client) => {
    const { rows } = await client.query(`${MEMBERSHIP} for update of p`, [id, userId]);
    const project = rows[0];
    if (!project) throw new HttpError(404, 'NOT_FOUND', 'Project not found');
    authorize(project.member_role, 'project.delete');
    await client.query('delete from projects.projects where id = $1', [id]);
    await client.query('delete from environments.environments where project_id = $1', [id]);
    await recordAudit(client, request, userId, 'projects.v1.deleted', { project_id: id, name: project.name });
  });
  return reply.status(204).send();
});

app.get<{ Params: { projectId: string; envId: string } }>('/api/v1/projects/:projectId/environments/:envId/variables', async (request) => {
  const userId = await userOf(request);
  const { projectId, envId, limit, cursor } = parse(listVariablesInput, { ...(request.query as object), ...request.params });
  const member = await pool.query(ENVIRONMENT_MEMBERSHIP, [projectId, userId, envId]);
  if (!member.rows[0]) throw new HttpError(404, 'NOT_FOUND', 'Environment not found');
  const after = cursor ? decodeCursor(cursor) : undefined;
  const { rows } = await pool.query(
    `select id, key, secret, value, version, created_at, updated_at from environments.variables
      where environment_id = $1 ${after ? 'and (created_at, id) > ($3, $4)' : ''} order by created_at, id limit $2`,
    after ? [envId, limit + 1, ...after] : [envId, limit + 1],
  );
  return page(rows, limit, variableDto);
});

/**
 * Creates or replaces the variable, as environments does: the environment row locked (its
 * variables' writes take turns), `secret` left out keeps the variable's kind, a secret value
 * sealed (AES-256-GCM, bound to its environment and key) before it reaches the database.
 */
app.put<{ Params: { projectId: string; envId: string; key: string } }>(
  '/api/v1/projects/:projectId/environments/:envId/variables/:key',
  async (request) => {
    const userId = await userOf(request);
    const input = parse(putVariableInput, { ...(request.body as object), ...request.params });
    const variable = await transaction(async (client) => {
      const { rows } = await client.query(`${ENVIRONMENT_MEMBERSHIP} for update of e`, [input.projectId, userId, input.envId]);
      const environment = rows[0];
      if (!environment) throw new HttpError(404, 'NOT_FOUND', 'Environment not found');
      authorize(environment.member_role, 'environments.write');
      const { rows: found } = await client.query(
        'select secret, version from environments.variables where environment_id = $1 and key = $2',
        [input.envId, input.key],
      );
      const existing = found[0];
      if (input.if_match !== undefined && (!existing || !matchesVersion(input.if_match, existing.version))) {
        throw new HttpError(412, 'PRECONDITION_FAILED', 'The variable has changed since you read it');
      }
      const secret: boolean = input.secret ?? existing?.secret ?? false;
      const sealed = secret ? cipher.seal(input.value, `${input.envId}/${input.key}`) : undefined;
      const { rows: written } = await client.query(
        `insert into environments.variables (id, environment_id, key, secret, value, ciphertext, key_id, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         on conflict (environment_id, key) do update set secret = excluded.secret, value = excluded.value, ciphertext = excluded.ciphertext,
           key_id = excluded.key_id, updated_at = excluded.updated_at, version = variables.version + 1
         returning key, secret, value, version, created_at, updated_at`,
        [
          randomUUID(),
          input.envId,
          input.key,
          secret,
          sealed ? null : input.value,
          sealed?.ciphertext ?? null,
          sealed?.keyId ?? null,
          new Date(),
        ],
      );
      // The key and whether it is secret: never the value.
      await recordAudit(client, request, userId, 'environments.v1.variable_set', {
        project_id: input.projectId,
        environment_id: input.envId,
        name: environment.name,
        key: input.key,
        secret,
        created: !existing,
      });
      return written[0]!;
    });
    return { success: true, data: variableDto(variable) };
  },
);

app.get<{ Params: { projectId: string } }>('/api/v1/projects/:projectId/environments', async (request) => {
  const userId = await userOf(request);
  const { projectId, limit, cursor } = parse(listEnvironmentsInput, { ...(request.query as object), projectId: request.params.projectId });
  const member = await pool.query('select role from projects.members where project_id = $1 and user_id = $2', [projectId, userId]);
  if (!member.rows[0]) throw new HttpError(404, 'NOT_FOUND', 'Project not found');
  const after = cursor ? decodeCursor(cursor) : undefined;
  const { rows } = await pool.query(
    `select * from environments.environments where project_id = $1 ${after ? 'and (created_at, id) > ($3, $4)' : ''}
      order by created_at, id limit $2`,
    after ? [projectId, limit + 1, ...after] : [projectId, limit + 1],
  );
  return page(rows, limit, environmentDto);
});

app.get('/healthz', async () => ({ status: 'ok' }));

const shutdown = () => {
  void app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
