import type { Project as ProjectDto } from '@atrium/contract';
import type { IProject } from './entities/index.js';

export function toProjectDto(project: IProject): ProjectDto {
  return {
    id: project.id,
    name: project.name,
    display_name: project.displayName,
    description: project.description ?? null,
    color: project.color ?? null,
    icon_path: project.iconPath ?? null,
    single_server_mode: project.singleServerMode,
    default_server_id: project.defaultServerId ?? null,
    auto_error_tracking_enabled: project.autoErrorTrackingEnabled,
    created_at: project.createdAt.toISOString(),
    updated_at: project.updatedAt.toISOString(),
  };
}
