import type { Environment as EnvironmentDto, Variable as VariableDto } from '@atrium/contract';
import type { IEnvironment, IVariable } from './entities/index.js';

export function toEnvironmentDto(environment: IEnvironment): EnvironmentDto {
  return {
    id: environment.id,
    project_id: environment.projectId,
    name: environment.name,
    display_name: environment.displayName,
    type: environment.type,
    description: environment.description ?? null,
    color: environment.color ?? null,
    git_branch: environment.gitBranch ?? null,
    is_default: environment.isDefault,
    created_at: environment.createdAt.toISOString(),
    updated_at: environment.updatedAt.toISOString(),
  };
}

/** A secret's value never leaves the service: not even sealed. */
export function toVariableDto(variable: Pick<IVariable, 'key' | 'secret' | 'value' | 'createdAt' | 'updatedAt'>): VariableDto {
  return {
    key: variable.key,
    value: variable.secret ? null : (variable.value ?? null),
    secret: variable.secret,
    created_at: variable.createdAt.toISOString(),
    updated_at: variable.updatedAt.toISOString(),
  };
}
