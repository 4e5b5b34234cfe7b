/**
 * A realistic mix: 1,000 users with a session each, 10,000 projects spread over them (an owner
 * each and 0–2 more members), every project with its default environment and three variables
 * (one secret). Requests pick a project by Zipf's law (s = 1: the hottest project gets ~10% of
 * the project-scoped requests, the 100 hottest half of them), act as one of its members, and
 * do: 90% reads — get the project, list the member's projects, list the project's environments,
 * list the default environment's variables — and 10% writes — update the project (as its owner
 * or an admin), set one of its variables. The n-th request is the same for every system
 * (derived from n alone), so Atrium and the baseline answer the same sequence.
 *
 * All of it is written in SQL straight into the services' tables, as they would write it — the
 * secret values sealed with the environments service's ENCRYPTION_KEY and its cipher, sessions
 * stored as identity stores them (the SHA-256 of the token) — in a few seconds instead of the
 * minutes 10,000 creations through the API would take.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { SESSION_TOKEN_PREFIX, credentialDigest } from '@atrium/contract';
import { createSecretCipher } from '@atrium/service-runtime/settings';
import type { System } from './measure.js';
import type { BenchRequest } from './operations.js';

export const MIX_CONNECTIONS = 32;
const USERS = 1_000;
const PROJECTS = 10_000;
const ZIPF_S = 1.0;
/** Share of each action, in %: 90 reads, 10 writes. */
const ACTIONS = [
  ['get', 30],
  ['list-projects', 15],
  ['environments', 20],
  ['variables', 25],
  ['update', 5],
  ['put-variable', 5],
] as const;
type Action = (typeof ACTIONS)[number][0];
/** Each default environment's variables; the mix's writes replace them (so every system updates, none creates). */
const VARIABLES = [
  { key: 'DATABASE_URL', secret: false },
  { key: 'LOG_LEVEL', secret: false },
  { key: 'API_SECRET', secret: true },
] as const;

type Role = 'owner' | 'admin' | 'member';
interface MixProject {
  id: string;
  environmentId: string;
  /** Users by index into `tokens`; the owner first. */
  members: { user: number; role: Role }[];
}

export interface Mix {
  /** Each user's session token, by user index. */
  tokens: string[];
  projects: MixProject[];
  /** The cumulative probability of Zipf ranks 1…PROJECTS. */
  zipfCdf: Float64Array;
  /** The project (index into `projects`) at each rank: shuffled, so the hottest are not the oldest. */
  byRank: Uint32Array;
}

/** A small seeded generator (mulberry32): the same numbers for the same seed, on every run and system. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

function zipfCdf(count: number, s: number): Float64Array {
  const cdf = new Float64Array(count);
  let sum = 0;
  for (let rank = 1; rank <= count; rank += 1) cdf[rank - 1] = sum += 1 / rank ** s;
  for (let i = 0; i < count; i += 1) cdf[i]! /= sum;
  return cdf;
}

/** The rank (0-based) whose cumulative probability first exceeds `u`: a binary search. */
function rankOf(cdf: Float64Array, u: number): number {
  let low = 0;
  let high = cdf.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (cdf[middle]! > u) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** The shape of the data, decided in memory first (ids, owners, members), then written in one transaction. */
function planMix(): Omit<Mix, 'tokens'> & { userIds: string[] } {
  const random = generator(0x5eed);
  const userIds = Array.from({ length: USERS }, () => randomUUID());
  const projects: MixProject[] = Array.from({ length: PROJECTS }, () => {
    const owner = Math.floor(random() * USERS);
    const members: MixProject['members'] = [{ user: owner, role: 'owner' }];
    const others = Math.floor(random() * 3);
    while (members.length < others + 1) {
      const user = Math.floor(random() * USERS);
      if (!members.some((member) => member.user === user)) members.push({ user, role: members.length === 1 ? 'admin' : 'member' });
    }
    return { id: randomUUID(), environmentId: randomUUID(), members };
  });
  const byRank = Uint32Array.from(projects.keys());
  for (let i = byRank.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [byRank[i], byRank[j]] = [byRank[j]!, byRank[i]!];
  }
  return { userIds, projects, zipfCdf: zipfCdf(PROJECTS, ZIPF_S), byRank };
}

/**
 * Writes the mix's users, sessions, projects, memberships, environments and variables into the
 * database the system's services use; `encryptionKey` is the environments service's, so the
 * secrets written here open there as if it had sealed them.
 */
export async function seedMix(databaseUrl: string, encryptionKey: Buffer): Promise<Mix> {
  const plan = planMix();
  const tag = randomUUID().slice(0, 8);
  const tokens = plan.userIds.map(() => SESSION_TOKEN_PREFIX + randomBytes(32).toString('base64url'));
  const cipher = createSecretCipher(encryptionKey);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('begin');
    await db.query(
      `insert into identity.users (id, email, name, password_hash, created_at, updated_at)
       select id, 'mix-' || $2 || '-' || i || '@example.com', null, 'bench: signs in by session only', now(), now()
         from unnest($1::uuid[]) with ordinality as u(id, i)`,
      [plan.userIds, tag],
    );
    await db.query(
      `insert into identity.sessions (id, user_id, token_hash, created_at, expires_at)
       select gen_random_uuid(), user_id, token_hash, now(), now() + interval '1 day' from unnest($1::uuid[], $2::text[]) as s(user_id, token_hash)`,
      [plan.userIds, tokens.map(credentialDigest)],
    );
    // Created a second apart, oldest first, as bulkProjects does: lists page in creation order.
    await db.query(
      `insert into projects.projects (id, name, display_name, description, color, single_server_mode, auto_error_tracking_enabled, created_at, updated_at)
       select id, 'mix-' || $2 || '-' || i, 'Mix project ' || i, null, '#3B82F6', false, false,
              now() - make_interval(secs => $3 - i), now() - make_interval(secs => $3 - i)
         from unnest($1::uuid[]) with ordinality as p(id, i)`,
      [plan.projects.map((project) => project.id), tag, PROJECTS],
    );
    const memberships = plan.projects.flatMap((project) => project.members.map((member) => ({ project: project.id, ...member })));
    // project_created_at: filled in by projects' trigger, whatever the insert says.
    await db.query(
      `insert into projects.members (id, project_id, user_id, role, created_at, updated_at)
       select gen_random_uuid(), project_id, user_id, role, now(), now() from unnest($1::uuid[], $2::uuid[], $3::text[]) as m(project_id, user_id, role)`,
      [memberships.map((m) => m.project), memberships.map((m) => plan.userIds[m.user]), memberships.map((m) => m.role)],
    );
    await db.query(
      `insert into environments.environments (id, project_id, name, display_name, type, is_default, created_at, updated_at)
       select id, project_id, 'production', 'production', 'production', true, now(), now() from unnest($1::uuid[], $2::uuid[]) as e(id, project_id)`,
      [plan.projects.map((project) => project.environmentId), plan.projects.map((project) => project.id)],
    );
    await insertVariables(db, plan.projects, cipher);
    await db.query('commit');
    await db.query('analyze');
  } catch (error) {
    await db.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await db.end();
  }
  const { userIds: _userIds, ...mix } = plan;
  return { ...mix, tokens };
}

/** VARIABLES in every project's default environment; a secret sealed as environments seals it (bound to its environment and key). */
async function insertVariables(db: pg.Client, projects: MixProject[], cipher: ReturnType<typeof createSecretCipher>): Promise<void> {
  const rows = projects.flatMap((project) =>
    VARIABLES.map(({ key, secret }) => {
      const value = `${key.toLowerCase()} of ${project.id}`;
      const sealed = secret ? cipher.seal(value, `${project.environmentId}/${key}`) : undefined;
      return { environment: project.environmentId, key, secret, value: sealed ? null : value, sealed };
    }),
  );
  await db.query(
    `insert into environments.variables (id, environment_id, key, secret, value, ciphertext, key_id, created_at, updated_at)
     select gen_random_uuid(), environment_id, key, secret, value, decode(ciphertext, 'hex'), key_id, now(), now()
       from unnest($1::uuid[], $2::text[], $3::boolean[], $4::text[], $5::text[], $6::text[]) as v(environment_id, key, secret, value, ciphertext, key_id)`,
    [
      rows.map((row) => row.environment),
      rows.map((row) => row.key),
      rows.map((row) => row.secret),
      rows.map((row) => row.value),
      rows.map((row) => row.sealed?.ciphertext.toString('hex') ?? null),
      rows.map((row) => row.sealed?.keyId ?? null),
    ],
  );
}

/** Which action the n-th request is, by ACTIONS' shares. */
function actionOf(random: () => number): Action {
  let u = random() * 100;
  for (const [action, share] of ACTIONS) {
    u -= share;
    if (u < 0) return action;
  }
  return ACTIONS[0][0];
}

/** A number of its own for each n (an integer hash of n): the n-th request depends on n alone, not on what ran before. */
function seedOf(n: number): number {
  let h = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The mix's n-th request: an action, a project by Zipf's law, one of its members allowed to do it. */
export function mixRequest(system: System, n: number): BenchRequest {
  const mix = system.mix;
  if (!mix) throw new Error(`the mix's data was not seeded for ${system.name}`);
  const random = generator(seedOf(n));
  const action = actionOf(random);
  const project = mix.projects[mix.byRank[rankOf(mix.zipfCdf, random())]!]!;
  // Updating the project needs admin or owner; everything else any member may do.
  const allowed = action === 'update' ? project.members.filter((member) => member.role !== 'member') : project.members;
  const token = mix.tokens[pick(random, allowed).user]!;
  const projectPath = `/api/v1/projects/${project.id}`;
  const variablesPath = `${projectPath}/environments/${project.environmentId}/variables`;
  switch (action) {
    case 'get':
      return { method: 'GET', path: projectPath, token };
    case 'list-projects':
      return { method: 'GET', path: '/api/v1/projects?limit=20', token };
    case 'environments':
      return { method: 'GET', path: `${projectPath}/environments`, token };
    case 'variables':
      return { method: 'GET', path: variablesPath, token };
    case 'update':
      return { method: 'PUT', path: projectPath, token, body: { description: `mix revision ${n}` } };
    case 'put-variable': {
      const variable = pick(random, VARIABLES);
      return { method: 'PUT', path: `${variablesPath}/${variable.key}`, token, body: { value: `mix value ${n}`, secret: variable.secret } };
    }
  }
}
