import type { Handler } from '../deps.js';
import { Environment, Variable } from '../entities/index.js';
import { environmentNotFound } from '../environment.repository.js';
import type { SecretCipher } from '@atrium/service-runtime';
import { variableContext } from '../variable.repository.js';

/**
 * Every variable of the environment with its value, secrets opened, for the deploy system (the
 * contract lets only `deployer` call it). An environment of another project is not found, as one
 * that does not exist. The read is recorded in the project's audit trail, in this call's
 * transaction: the key names, never a value.
 */
export const resolveVariables =
  (cipher: SecretCipher): Handler<'variables', 'resolve'> =>
  async (input, ctx) => {
    const environment = await ctx.em.findOne(
      Environment,
      { id: input.environment_id, projectId: input.project_id },
      { fields: ['id', 'name'] },
    );
    if (!environment) throw environmentNotFound();
    const variables = await ctx.em.find(
      Variable,
      { environment: environment.id },
      { fields: ['key', 'secret', 'value', 'ciphertext', 'keyId'] },
    );
    // In key order, by code point (the database's collation may order case differently).
    variables.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const data = variables.map((variable) => ({
      key: variable.key,
      value: variable.secret
        ? cipher.open({ keyId: variable.keyId!, ciphertext: variable.ciphertext! }, variableContext(environment.id, variable.key))
        : variable.value!,
      secret: variable.secret,
    }));
    ctx.events.record('environments.v1.variables_resolved', {
      project_id: input.project_id,
      environment_id: environment.id,
      name: environment.name,
      keys: data.map((variable) => variable.key),
      // The app its verified assertion names (the contract let only the deployer through; the
      // event's schema refuses anything else, rolling the call back).
      caller: ctx.app as 'deployer',
    });
    return { project_id: input.project_id, environment_id: environment.id, name: environment.name, data };
  };
