import { versionsOf } from '@atrium/contract';
import type { Handler } from '../deps.js';
import { findEnvironment, preconditionFailed } from '../environment.repository.js';
import { ENVIRONMENTS_SCHEMA } from '../schema.js';
import { variableNotFound } from '../variable.repository.js';

/** One statement checks If-Match's versions (if given) and deletes; only a refusal reads again, to say why. */
export const deleteVariable = (): Handler<'variables', 'delete'> => async (input, ctx) => {
  const versions = versionsOf(input.if_match);
  const deleted = await ctx.em.execute<{ id: string; name: string }[]>(
    `delete from "${ENVIRONMENTS_SCHEMA}".variables v using "${ENVIRONMENTS_SCHEMA}".environments e
      where v.environment_id = e.id and e.id = ? and e.project_id = ? and v.key = ?
        and (?::int[] is null or v.version = any(?::int[]))
      returning v.id, e.name`,
    [input.envId, input.projectId, input.key, versions, versions],
  );
  const [gone] = deleted;
  if (gone) {
    ctx.events.record('environments.v1.variable_deleted', {
      project_id: input.projectId,
      environment_id: input.envId,
      name: gone.name,
      key: input.key,
    });
    return;
  }
  // Say which one is missing: the environment, or only the variable; or that If-Match named another version.
  await findEnvironment(ctx.em, input.projectId, input.envId);
  const [current] = await ctx.em.execute<{ version: number }[]>(
    `select version from "${ENVIRONMENTS_SCHEMA}".variables where environment_id = ? and key = ?`,
    [input.envId, input.key],
  );
  throw current ? preconditionFailed('variable', current.version) : variableNotFound();
};
