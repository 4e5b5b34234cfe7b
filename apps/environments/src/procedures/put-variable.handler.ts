import { matchesVersion } from '@atrium/contract';
import type { Handler } from '../deps.js';
import { toVariableDto } from '../dto.js';
import { Variable } from '../entities/index.js';
import type { SecretCipher } from '@atrium/service-runtime';
import { preconditionFailed } from '../environment.repository.js';
import { lockEnvironmentWithVariable, storedValue } from '../variable.repository.js';

/**
 * Creates or replaces a variable. `secret` left out keeps the variable's kind (plain when new);
 * a secret value is sealed before it reaches the database and never returned. With `if_match`,
 * only over a version it names (`'*'`: over any, but not create): the environment's lock makes
 * the variable's writes take turns, so the version compared is the one this write replaces, and
 * the flush bumps it (the entity's version property).
 */
export const putVariable =
  (cipher: SecretCipher): Handler<'variables', 'put'> =>
  async (input, ctx) => {
    // The call's transaction (every mutation runs in one): no savepoint of its own.
    const { em } = ctx;
    const { name, variable: existing } = await lockEnvironmentWithVariable(em, input.projectId, input.envId, input.key);
    if (input.if_match !== undefined && (!existing || !matchesVersion(input.if_match, existing.version))) {
      throw preconditionFailed('variable', existing?.version);
    }
    const stored = storedValue(cipher, input.envId, input.key, input.value, input.secret ?? existing?.secret ?? false);
    const variable = existing
      ? Object.assign(existing, stored)
      : em.create(Variable, { environment: input.envId, key: input.key, ...stored });
    // The key and whether it is secret: never the value.
    const change = {
      project_id: input.projectId,
      environment_id: input.envId,
      name,
      key: input.key,
      secret: stored.secret,
      created: !existing,
    };
    ctx.events.record('environments.v1.variable_set', change);
    await em.flush();
    return toVariableDto(variable);
  };
