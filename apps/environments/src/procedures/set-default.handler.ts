import type { Handler } from '../deps.js';
import { toEnvironmentDto } from '../dto.js';
import { Environment } from '../entities/index.js';
import { environmentNotFound } from '../environment.repository.js';
import { ENVIRONMENTS_SCHEMA } from '../schema.js';

const table = `"${ENVIRONMENTS_SCHEMA}".environments`;

/**
 * Moves the default in one transaction. Moves within a project are serialised by an advisory
 * lock on it, so each one sees the default the previous one left; the partial unique index
 * (one default per project) is the last word should anything else race.
 */
export const setDefaultEnvironment = (): Handler<'environments', 'setDefault'> => async (input, ctx) =>
  ctx.em.transactional(async (em) => {
    await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`environments:default:${input.projectId}`]);
    const now = new Date();
    const [previous] = await em.execute<{ id: string }[]>(
      `update ${table} set is_default = false, updated_at = ? where project_id = ? and is_default and id <> ? returning id`,
      [now, input.projectId, input.envId],
    );
    const [row] = await em.execute<Record<string, unknown>[]>(
      `update ${table} set is_default = true, updated_at = case when is_default then updated_at else ? end
        where id = ? and project_id = ? returning *`,
      [now, input.envId, input.projectId],
    );
    // Not in this project: throwing rolls the first update back, the old default stays.
    if (!row) throw environmentNotFound();
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
