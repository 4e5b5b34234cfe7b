import type { EntityManager } from '@mikro-orm/postgresql';
import { afterCursor, notFound, readRows } from '@atrium/service-runtime';
import type { RowOf } from '@atrium/service-runtime';
import { Environment, Variable, variableFields } from './entities/index.js';
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

/** One page (plus one row) of an environment's variables in (created_at, id) order; sealed values are not even read. */
export async function listEnvironmentVariables(
  em: EntityManager,
  projectId: string,
  envId: string,
  cursor: string | undefined,
  limit: number,
) {
  const environment = await em.findOne(Environment, { id: envId, projectId }, { fields: ['id'] });
  if (!environment) throw environmentNotFound();
  return em.find(
    Variable,
    { environment: envId, ...afterCursor(cursor) },
    {
      fields: ['id', 'key', 'secret', 'value', 'version', 'createdAt', 'updatedAt'],
      orderBy: { createdAt: 'asc', id: 'asc' },
      limit: limit + 1,
    },
  );
}
