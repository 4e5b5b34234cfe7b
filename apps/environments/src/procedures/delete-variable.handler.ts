import type { Handler } from '../deps.js';
import { findEnvironment } from '../environment.repository.js';
import { ENVIRONMENTS_SCHEMA } from '../schema.js';
import { variableNotFound } from '../variable.repository.js';

export const deleteVariable = (): Handler<'variables', 'delete'> => async (input, ctx) => {
  const deleted = await ctx.em.execute<{ id: string }[]>(
    `delete from "${ENVIRONMENTS_SCHEMA}".variables v using "${ENVIRONMENTS_SCHEMA}".environments e
      where v.environment_id = e.id and e.id = ? and e.project_id = ? and v.key = ? returning v.id`,
    [input.envId, input.projectId, input.key],
  );
  if (deleted.length > 0) return;
  // Say which one is missing: the environment, or only the variable.
  await findEnvironment(ctx.em, input.projectId, input.envId);
  throw variableNotFound();
};
