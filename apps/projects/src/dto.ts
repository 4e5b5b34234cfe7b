import type { Project as ProjectDto } from '@atrium/contract';
import type { SameFields, WireOf } from '@atrium/service-runtime';
import { projectFields } from './entities/index.js';
import type { IProject } from './entities/index.js';

/** The entity and the contract's Project have the same fields (a field on one side only does not compile). */
const sameFields: SameFields<WireOf<IProject>, ProjectDto> = true;
void sameFields;

export function toProjectDto(project: IProject): ProjectDto {
  return projectFields.toWire(project);
}
