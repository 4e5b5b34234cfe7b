/**
 * The yardstick of `pnpm bench`: what a hand-written monolith would do for the same REST calls —
 * one Fastify process, `pg`, the contract's zod schemas for input, the same envelope — on the
 * same database and data as Atrium (it reads and writes the services' tables directly).
 * Every request looks its bearer token up (sessions joined with users); project-scoped
 * calls read the project joined with the caller's membership, as Atrium's services do.
 * No outbox, no signed caller, no second process: that difference is what is measured.
 *
 *   node --import tsx bench/baseline.ts   (DATABASE_URL, PORT; started by load.ts)
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import pg from 'pg';
import {
  DEFAULT_ENVIRONMENT,
  credentialDigest,
  createProjectInput,
  environmentSchema,
  listEnvironmentsInput,
  listProjectsInput,
  projectSchema,
  updateProjectInput,
} from '@atrium/contract';
import type { z } from 'zod';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 10) });
const app = Fastify({ logger: false });

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
  const client = await pool.connect();
  try {
    await client.query('begin');
    const now = new Date();
    const { rows } = await client.query(INSERT_PROJECT, [randomUUID(), ...CREATE_COLUMNS.map((column) => createValue(input, column)), now]);
    const project = rows[0]!;
    await client.query(
      `insert into projects.members (id, project_id, user_id, role, created_at, updated_at) values ($1, $2, $3, 'owner', $4, $4)`,
      [randomUUID(), project.id, userId, now],
    );
    await client.query(
      `insert into environments.environments (id, project_id, name, display_name, type, is_default, created_at, updated_at)
       values ($1, $2, $3, $3, $4, true, $5, $5)`,
      [randomUUID(), project.id, DEFAULT_ENVIRONMENT.name, DEFAULT_ENVIRONMENT.type, now],
    );
    await client.query('commit');
    void reply.status(201);
    return { success: true, data: projectDto(project) };
  } catch (error) {
    await client.query('rollback');
    if ((error as { code?: string }).code === '23505') throw new HttpError(409, 'CONFLICT', 'A project with that name already exists');
    throw error;
  } finally {
    client.release();
  }
});

app.put<{ Params: { id: string } }>('/api/v1/projects/:id', async (request) => {
  const userId = await userOf(request);
  const input = parse(updateProjectInput, { ...(request.body as object), id: request.params.id });
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query(`${MEMBERSHIP} for update of p`, [input.id, userId]);
    const current = rows[0];
    if (!current) throw new HttpError(404, 'NOT_FOUND', 'Project not found');
    if (current.member_role !== 'owner' && current.member_role !== 'admin') throw new HttpError(403, 'FORBIDDEN', 'Not allowed');
    const { rows: updated } = await client.query(UPDATE_PROJECT, [
      input.id,
      ...UPDATE_COLUMNS.map((column) => ((input as Row)[column] === undefined ? current[column] : (input as Row)[column])),
      new Date(),
    ]);
    await client.query('commit');
    return { success: true, data: projectDto(updated[0]!) };
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
});

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
