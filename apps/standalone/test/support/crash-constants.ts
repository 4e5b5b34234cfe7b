/** Shared by the crash tests and their consumer process: the schema of its tables, and the lock its handler waits on. */
export const COUNTING_SCHEMA = 'crash_consumer';
export const HANDLER_LOCK = 4243;
