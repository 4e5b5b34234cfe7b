/**
 * A TypeScript service that is not part of Atrium, using it through @atrium/client: it connects
 * to NATS as the `client` user and acts for the user whose API key (or session token) it holds.
 *
 *   ATRIUM_API_KEY=atk_… pnpm --filter @atrium/example-typed-client start
 *
 * Against `pnpm start` (with nats-server installed it serves NATS clients) nothing else is
 * needed: the broker's address and the `client` user's password are read from the file it
 * writes into its data folder (see connection.ts, docs/client.md). Against anything else, set
 * NATS_URL and ATRIUM_CLIENT_NATS_PASSWORD.
 *
 * Prints one JSON line: what it created, read back, and the typed error of a missing project.
 */
import { randomUUID } from 'node:crypto';
import { AtriumError, connectAtrium } from '@atrium/client';
import { findConnection } from './connection.js';

let connection: ReturnType<typeof findConnection>;
try {
  connection = findConnection();
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const credential = process.env.ATRIUM_API_KEY;
if (!credential) {
  const api = connection.api ?? 'http://localhost:3000/api/v1';
  console.error(
    `Set ATRIUM_API_KEY to a user's API key (atk_…): sign in (POST ${api}/auth/login, or /auth/register), then POST ${api}/auth/api-keys with {"name":"example"} and that token as Bearer`,
  );
  process.exit(1);
}

const atrium = await connectAtrium({ servers: connection.servers, user: connection.user, pass: connection.pass, credential });
try {
  const me = await atrium.auth.me({});
  // An Idempotency-Key makes the create safe to retry: a repeat gets this same project back.
  const project = await atrium.projects.create(
    { name: `example-${Date.now().toString(36)}`, color: '#3B82F6' },
    { idempotencyKey: `example-${randomUUID()}` },
  );
  // Per-call options: the longest this call may wait, and a signal that would end it sooner.
  const again = await atrium.projects.get({ id: project.id }, { timeoutMs: 3000, signal: AbortSignal.timeout(10_000) });
  let missing: string | undefined;
  try {
    await atrium.projects.get({ id: randomUUID() });
  } catch (error) {
    if (!(error instanceof AtriumError)) throw error;
    missing = `${error.code} ${error.status}`;
  }
  console.log(JSON.stringify({ user: me.email, created: project.name, readBack: again.id === project.id, missing }));
} finally {
  await atrium.close();
}
