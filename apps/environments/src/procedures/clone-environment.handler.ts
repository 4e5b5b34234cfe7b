import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Handler } from '../deps.js';
import { toEnvironmentDto } from '../dto.js';
import { Environment, environmentFields, Variable } from '../entities/index.js';
import { holdProjectForCreate } from '../deleted-projects.repository.js';
import { findEnvironment, nameTaken } from '../environment.repository.js';
import type { SecretCipher } from '@atrium/service-runtime';
import { storedValue, variableContext } from '../variable.repository.js';

/**
 * A new, non-default environment with the source's fields unless given, and a copy of every
 * variable, in one transaction. Secrets are opened and sealed again for the copy: a sealed
 * value is bound to its environment, and the copy is sealed with the current key.
 */
export const cloneEnvironment =
  (cipher: SecretCipher): Handler<'environments', 'clone'> =>
  async (input, ctx) => {
    try {
      return await ctx.em.transactional(async (em) => {
        await holdProjectForCreate(em, input.projectId);
        const source = await findEnvironment(em, input.projectId, input.envId);
        // The source's fields, but for those the body gives; a new row of its own, never the default.
        const { id: _id, createdAt: _createdAt, updatedAt: _updatedAt, version: _version, ...copied } = environmentFields.values(source);
        const { projectId: _projectId, envId: _envId, ...body } = input;
        const copy = em.create(Environment, {
          ...copied,
          ...environmentFields.given(body),
          // Set now, not at flush: the copied secrets are sealed to it.
          id: randomUUID(),
          projectId: source.projectId,
          name: input.name,
          isDefault: false,
        });
        const variables = await em.find(Variable, { environment: source.id }, { orderBy: { createdAt: 'asc', id: 'asc' } });
        for (const variable of variables) {
          const value = variable.secret
            ? cipher.open({ keyId: variable.keyId!, ciphertext: variable.ciphertext! }, variableContext(source.id, variable.key))
            : variable.value!;
          em.create(Variable, {
            environment: copy,
            key: variable.key,
            ...storedValue(cipher, copy.id, variable.key, value, variable.secret),
            // The copy keeps the source's times, so it lists in the same order (one flush would give all the same instant).
            createdAt: variable.createdAt,
            updatedAt: variable.updatedAt,
          });
        }
        ctx.events.record('environments.v1.created', {
          project_id: copy.projectId,
          environment_id: copy.id,
          name: copy.name,
          cloned_from: source.id,
        });
        await em.flush();
        return toEnvironmentDto(copy);
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw nameTaken(input.name);
      throw error;
    }
  };
