import type { Handler } from '../deps.js';
import { findEnvironment } from '../environment.repository.js';
import { ENVIRONMENTS_SCHEMA } from '../schema.js';
import { variableNotFound } from '../variable.repository.js';

export const deleteVariable = (): Handler<'variables', 'delete'> => async (input, ctx) => {
  const deleted = await ctx.em.execute<{ id: string; name: string }[]>(
    `delete from "${ENVIRONMENTS_SCHEMA}".variables v using "${ENVIRONMENTS_SCHEMA}".environments e
      where v.environment_id = e.id and e.id = ? and e.project_id = ? and v.key = ? returning v.id, e.name`,
    [input.envId, input.projectId, input.key],
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
  // Say which one is missing: the environment, or only the variable.
  await findEnvironment(ctx.em, input.projectId, input.envId);
  throw variableNotFound();
};
