import { conflict } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { findEnvironment } from '../environment.repository.js';
import { ENVIRONMENTS_SCHEMA } from '../schema.js';

/**
 * One conditional statement does the check and the delete, so a concurrent set-default or a
 * variable written meanwhile cannot slip between them; only a refusal reads again, to say why.
 * Variables go with their environment (foreign key, on delete cascade).
 */
export const deleteEnvironment = (): Handler<'environments', 'delete'> => async (input, ctx) => {
  const force = input.force === 'true';
  const deleted = await ctx.em.execute<{ id: string; name: string }[]>(
    `delete from "${ENVIRONMENTS_SCHEMA}".environments e
      where e.id = ? and e.project_id = ? and not e.is_default
        and (? or not exists (select 1 from "${ENVIRONMENTS_SCHEMA}".variables v where v.environment_id = e.id))
      returning e.id, e.name`,
    [input.envId, input.projectId, force],
  );
  const [gone] = deleted;
  if (gone) {
    ctx.events.record('environments.v1.deleted', { project_id: input.projectId, environment_id: gone.id, name: gone.name });
    return;
  }
  const environment = await findEnvironment(ctx.em, input.projectId, input.envId);
  if (environment.isDefault) throw conflict('The default environment cannot be deleted: make another environment the default first');
  throw conflict('This environment still has variables: delete them first, or pass force=true to delete them with it');
};
