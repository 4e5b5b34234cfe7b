// The defaults of the deadlines the settings (config.ts) and the database (orm.ts) share, in a
// module of their own so that neither imports the other for them.

/** A call's deadline when nothing sets one (`NATS_REQUEST_TIMEOUT_MS`). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

/**
 * How long a call may wait for a pooled connection, by default: four fifths of its deadline,
 * leaving the rest for its statements and answer. Not less: that wait includes opening a new
 * connection, which took over 2 s on a loaded 2-core machine running the test suite, and a call
 * refused early for a connection it would have had in time only turns a slow answer into a 503.
 */
export const acquireTimeoutWithin = (requestTimeoutMs: number) => Math.max(1, Math.floor((requestTimeoutMs * 4) / 5));

/** The wait for a pooled connection when nothing sets one: within the default deadline of a call (4 s). */
export const DEFAULT_ACQUIRE_TIMEOUT_MS = acquireTimeoutWithin(DEFAULT_REQUEST_TIMEOUT_MS);

/**
 * How long start-up waits for the database by default (its first connection and its
 * migrations' connections): a PostgreSQL starting beside the service (a restarted node, a
 * compose project coming up) needs seconds to tens of seconds; Kubernetes' start-up probes in
 * infra/k8s allow 120 s.
 */
export const DEFAULT_STARTUP_TIMEOUT_MS = 60_000;
