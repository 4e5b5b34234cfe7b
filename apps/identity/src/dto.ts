import type { IApiKey, IUser } from './entities/index.js';

export function toUserDto(user: IUser) {
  return {
    id: user.id,
    email: user.email,
    name: user.name ?? null,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

export function toApiKeyDto(key: IApiKey) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    created_at: key.createdAt.toISOString(),
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
    expires_at: key.expiresAt?.toISOString() ?? null,
    project_ids: key.projectIds ?? null,
    access: key.access,
  };
}
