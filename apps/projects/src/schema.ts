/** projects' tables live in their own PostgreSQL schema. */
export const PROJECTS_SCHEMA = 'projects';
