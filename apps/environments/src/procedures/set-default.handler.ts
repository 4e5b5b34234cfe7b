import { versionsOf } from '@atrium/contract';
import type { Handler } from '../deps.js';
import { toEnvironmentDto } from '../dto.js';
import { Environment } from '../entities/index.js';
import { environmentNotFound, preconditionFailed } from '../environment.repository.js';
import { ENVIRONMENTS_SCHEMA } from '../schema.js';

const table = `"${ENVIRONMENTS_SCHEMA}".environments`;

/**
 * Moves the default in one transaction. Moves within a project are serialised by an advisory
 * lock on it, so each one sees the default the previous one left; the partial unique index
 * (one default per project) is the last word should anything else race. Both environments
 * change, so both versions are bumped (the new default's only if it was not the default
 * already). With `if_match`, the new default's update applies only over a version it names
 * (in its own `where`); a refusal rolls the previous default's update back too.
 */
export const setDefaultEnvironment = (): Handler<'environments', 'setDefault'> => async (input, ctx) =>
  ctx.em.transactional(async (em) => {
    await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`environments:default:${input.projectId}`]);
    const now = new Date();
    const versions = versionsOf(input.if_match);
    const [previous] = await em.execute<{ id: string }[]>(
      `update ${table} set is_default = false, updated_at = ?, version = version + 1
        where project_id = ? and is_default and id <> ? returning id`,
      [now, input.projectId, input.envId],
    );
    const [row] = await em.execute<Record<string, unknown>[]>(
      `update ${table}
          set is_default = true,
              updated_at = case when is_default then updated_at else ? end,
              version = case when is_default then version else version + 1 end
        where id = ? and project_id = ? and (?::int[] is null or version = any(?::int[]))
        returning *`,
      [now, input.envId, input.projectId, versions, versions],
    );
    if (!row) {
      // Not in this project, or not at a version If-Match names: throwing rolls the first update back, the old default stays.
      const [current] = await em.execute<{ version: number }[]>(`select version from ${table} where id = ? and project_id = ?`, [
        input.envId,
        input.projectId,
      ]);
      throw current ? preconditionFailed('environment', current.version) : environmentNotFound();
    }
    const environment = em.map(Environment, row);
    // Setting the default it already is changes nothing, and says nothing.
    if (previous) {
      const change = {
        project_id: input.projectId,
        environment_id: environment.id,
        name: environment.name,
        previous_environment_id: previous.id,
      };
      ctx.events.record('environments.v1.default_changed', change);
    }
    return toEnvironmentDto(environment);
  });
