import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { callerId, conflict } from '@atrium/service-runtime';
import { Member, Project, projectFields } from '../entities/index.js';
import type { Handler } from '../deps.js';
import { toProjectDto } from '../dto.js';

export const nameTaken = (name: string) => conflict(`A project named "${name}" already exists`);

/**
 * Creates the project and its owner membership in one transaction (one flush), with
 * `projects.v1.created` in the outbox. Once committed — not before: a creation that fails to
 * commit must leave no default environment behind, and the transaction is not held open
 * across the call — environments is asked for the default environment, before the answer
 * leaves, so the answer's project already has it (read-your-writes); should that call fail,
 * the project stands and environments creates the default from the event when it is back.
 */
export const createProject = (): Handler<'projects', 'create'> => async (input, ctx) => {
  const userId = callerId(ctx);
  const project = ctx.em.create(Project, {
    // Made here, not at flush: the event written with the project names it.
    // The entity's defaults for what the body leaves out, then what it gives.
    ...projectFields.defaults(),
    ...projectFields.given(input),
    id: randomUUID(),
    name: input.name,
    displayName: input.display_name ?? input.name,
  });
  ctx.em.create(Member, { project, userId, role: 'owner' });
  ctx.events.record('projects.v1.created', { project_id: project.id, name: project.name });
  try {
    await ctx.em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw nameTaken(input.name);
    throw error;
  }
  ctx.afterCommit(async () => {
    try {
      await ctx.services.environments.environments.createDefault({ project_id: project.id });
    } catch (error) {
      ctx.log.warn({ err: error, projectId: project.id }, 'default environment deferred to the projects.v1.created event');
    }
  });
  return toProjectDto(project);
};
