import type { CreateProjectInput, Project as ProjectDto, UpdateProjectInput } from '@atrium/contract';
import type { KnownFields, SameFields, WireOf } from '@atrium/service-runtime';
import { projectFields } from './entities/index.js';
import type { IProject } from './entities/index.js';

/**
 * The entity (the storage's declaration) and the contract (the API's) agree, or this does not
 * compile: the Project object has exactly the entity's fields, and every field of a create or
 * update body is one of them (the handlers copy them with `projectFields.given`).
 */
const fieldsAgree: [
  SameFields<WireOf<IProject>, ProjectDto>,
  KnownFields<CreateProjectInput, WireOf<IProject>>,
  // `if_match` is the write's precondition, not a field (docs/api-contract.md, Conditional requests).
  KnownFields<Omit<UpdateProjectInput, 'if_match'>, WireOf<IProject>>,
] = [true, true, true];
void fieldsAgree;

export function toProjectDto(project: IProject): ProjectDto {
  return projectFields.toWire(project);
}
