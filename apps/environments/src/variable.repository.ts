import type { EntityManager } from '@mikro-orm/postgresql';
import { LIST_START, decodeCursor, notFound, readRows } from '@atrium/service-runtime';
import type { RowOf } from '@atrium/service-runtime';
import { Variable, variableFields } from './entities/index.js';
import type { IVariable } from './entities/index.js';
import { environmentNotFound } from './environment.repository.js';
import type { SecretCipher } from '@atrium/service-runtime';
import { ENVIRONMENTS_SCHEMA } from './schema.js';

export const variableNotFound = () => notFound('Variable');

/** What binds a sealed value to its row. */
export const variableContext = (environmentId: string, key: string) => `${environmentId}/${key}`;

/** How a value is stored: in clear, or only sealed (AES-256-GCM, bound to its environment and key). */
export function storedValue(cipher: SecretCipher, environmentId: string, key: string, value: string, secret: boolean) {
  if (!secret) return { secret, value, ciphertext: null, keyId: null };
  const sealed = cipher.seal(value, variableContext(environmentId, key));
  return { secret, value: null, ciphertext: sealed.ciphertext, keyId: sealed.keyId };
}

/** Named, not `*`: the statement is prepared (see service-runtime's readRows). */
const VARIABLE_COLUMNS = `${variableFields.columns('v')}, v.environment_id`;

/**
 * Locks the project's environment for the rest of the transaction (or 404) and then reads its
 * variable `key`, null when there is none: variable writes to one environment take turns, and it
 * cannot be deleted under them. Two statements: the read's snapshot must be taken once the lock
 * is held (a join read in the locking statement would see a variable as it was before the write
 * it waited for).
 */
export async function lockEnvironmentWithVariable(
  em: EntityManager,
  projectId: string,
  envId: string,
  key: string,
): Promise<{ name: string; variable: IVariable | null }> {
  const [environment] = await readRows<{ name: string }>(
    em,
    `select name from "${ENVIRONMENTS_SCHEMA}".environments where id = ? and project_id = ? for update`,
    [envId, projectId],
  );
  if (!environment) throw environmentNotFound();
  const [variable] = await readRows<RowOf<IVariable>>(
    em,
    `select ${VARIABLE_COLUMNS} from "${ENVIRONMENTS_SCHEMA}".variables v where v.environment_id = ? and v.key = ?`,
    [envId, key],
  );
  return { name: environment.name, variable: variable ? em.map(Variable, variable) : null };
}

/** What a page of variables reads: what the API answers and the cursor needs; sealed values are not even read. */
const LISTED_COLUMNS = 'v.id, v.key, v.secret, v.value, v.version, v.created_at, v.updated_at';

/**
 * One page (plus one row) of an environment's variables in (created_at, id) order, in one
 * prepared statement: the environment (of this project, or 404) with the page of its variables
 * walked from the (environment_id, created_at, id) index.
 */
export async function listEnvironmentVariables(
  em: EntityManager,
  projectId: string,
  envId: string,
  cursor: string | undefined,
  limit: number,
): Promise<IVariable[]> {
  const after = cursor ? decodeCursor(cursor) : LIST_START;
  const rows = await readRows<RowOf<IVariable> & { environment: string }>(
    em,
    `select e.id as environment, page.*
       from "${ENVIRONMENTS_SCHEMA}".environments e
       left join lateral (
         select ${LISTED_COLUMNS} from "${ENVIRONMENTS_SCHEMA}".variables v
          where v.environment_id = e.id and (v.created_at, v.id) > (?::timestamptz, ?::uuid)
          order by v.created_at, v.id
          limit ?) page on true
      where e.id = ? and e.project_id = ?`,
    [after.createdAt, after.id, limit + 1, envId, projectId],
  );
  if (rows.length === 0) throw environmentNotFound();
  return rows.filter((row) => row.id !== null).map((row) => variableFields.ofRow(row));
}
