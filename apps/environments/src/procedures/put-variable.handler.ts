import type { Handler } from '../deps.js';
import { toVariableDto } from '../dto.js';
import { Variable } from '../entities/index.js';
import type { SecretCipher } from '../secrets/cipher.js';
import { lockEnvironment, storedValue } from '../variable.repository.js';

/**
 * Creates or replaces a variable. `secret` left out keeps the variable's kind (plain when new);
 * a secret value is sealed before it reaches the database and never returned.
 */
export const putVariable =
  (cipher: SecretCipher): Handler<'variables', 'put'> =>
  async (input, ctx) =>
    ctx.em.transactional(async (em) => {
      await lockEnvironment(em, input.projectId, input.envId);
      const existing = await em.findOne(Variable, { environment: input.envId, key: input.key });
      const stored = storedValue(cipher, input.envId, input.key, input.value, input.secret ?? existing?.secret ?? false);
      const variable = existing
        ? Object.assign(existing, stored)
        : em.create(Variable, { environment: input.envId, key: input.key, ...stored });
      await em.flush();
      return toVariableDto(variable);
    });
