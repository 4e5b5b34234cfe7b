import type {
  CloneEnvironmentInput,
  CreateEnvironmentInput,
  Environment as EnvironmentDto,
  UpdateEnvironmentInput,
  Variable as VariableDto,
} from '@atrium/contract';
import type { KnownFields, SameFields, WireOf } from '@atrium/service-runtime';
import { environmentFields } from './entities/index.js';
import type { IEnvironment, IVariable } from './entities/index.js';

/** What an input has besides its body's fields: the path parameters and a conditional write's precondition. */
type PathParams = 'projectId' | 'envId' | 'if_match';
/**
 * The entity (the storage's declaration) and the contract (the API's) agree, or this does not
 * compile: the Environment object has exactly the entity's fields, and every field of a create,
 * update or clone body but its path parameters is one of them (copied with `environmentFields.given`).
 */
const fieldsAgree: [
  SameFields<WireOf<IEnvironment>, EnvironmentDto>,
  KnownFields<Omit<CreateEnvironmentInput, PathParams>, WireOf<IEnvironment>>,
  KnownFields<Omit<UpdateEnvironmentInput, PathParams>, WireOf<IEnvironment>>,
  KnownFields<Omit<CloneEnvironmentInput, PathParams>, WireOf<IEnvironment>>,
] = [true, true, true, true];
void fieldsAgree;

export function toEnvironmentDto(environment: IEnvironment): EnvironmentDto {
  return environmentFields.toWire(environment);
}

/** A secret's value never leaves the service: not even sealed. */
export function toVariableDto(variable: Pick<IVariable, 'key' | 'secret' | 'value' | 'version' | 'createdAt' | 'updatedAt'>): VariableDto {
  return {
    key: variable.key,
    value: variable.secret ? null : (variable.value ?? null),
    secret: variable.secret,
    version: variable.version,
    created_at: variable.createdAt.toISOString(),
    updated_at: variable.updatedAt.toISOString(),
  };
}
