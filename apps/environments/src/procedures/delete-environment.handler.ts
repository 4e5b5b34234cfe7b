import { matchesVersion, versionsOf } from '@atrium/contract';
import { conflict } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { findEnvironment, preconditionFailed } from '../environment.repository.js';
import { ENVIRONMENTS_SCHEMA } from '../schema.js';

/**
 * One conditional statement does the checks and the delete (If-Match's version too), so a
 * concurrent set-default, update or a variable written meanwhile cannot slip between them; only
 * a refusal reads again, to say why (a stale If-Match first: RFC 9110 evaluates preconditions
 * before the method). Variables go with their environment (foreign key, on delete cascade).
 */
export const deleteEnvironment = (): Handler<'environments', 'delete'> => async (input, ctx) => {
  const force = input.force === 'true';
  const versions = versionsOf(input.if_match);
  const deleted = await ctx.em.execute<{ id: string; name: string }[]>(
    `delete from "${ENVIRONMENTS_SCHEMA}".environments e
      where e.id = ? and e.project_id = ? and not e.is_default
        and (?::int[] is null or e.version = any(?::int[]))
        and (? or not exists (select 1 from "${ENVIRONMENTS_SCHEMA}".variables v where v.environment_id = e.id))
      returning e.id, e.name`,
    [input.envId, input.projectId, versions, versions, force],
  );
  const [gone] = deleted;
  if (gone) {
    ctx.events.record('environments.v1.deleted', { project_id: input.projectId, environment_id: gone.id, name: gone.name });
    return;
  }
  const environment = await findEnvironment(ctx.em, input.projectId, input.envId);
  if (!matchesVersion(input.if_match, environment.version)) throw preconditionFailed('environment', environment.version);
  if (environment.isDefault) throw conflict('The default environment cannot be deleted: make another environment the default first');
  throw conflict('This environment still has variables: delete them first, or pass force=true to delete them with it');
};
