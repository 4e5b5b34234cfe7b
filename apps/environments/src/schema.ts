/** environments' tables live in their own PostgreSQL schema. */
export const ENVIRONMENTS_SCHEMA = 'environments';
