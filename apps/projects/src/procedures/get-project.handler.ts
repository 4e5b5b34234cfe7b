import { grantOf } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { toProjectDto } from '../dto.js';
import type { Membership } from '../membership.repository.js';

/** The runtime's access check already read the project with the membership: no second query. */
export const getProject = (): Handler<'projects', 'get'> => async (_input, ctx) => toProjectDto(grantOf<Membership>(ctx).project);
