/**
 * A TypeScript service that is not part of Atrium, using it through @atrium/client: it connects
 * to NATS as the `client` user and acts for the user whose API key (or session token) it holds.
 *
 *   NATS_URL=nats://… ATRIUM_CLIENT_NATS_PASSWORD=… ATRIUM_API_KEY=atk_… pnpm --filter @atrium/example-typed-client start
 *
 * Against the one-process mode: `EMBEDDED_NATS=true pnpm start` prints NATS_URL and
 * ATRIUM_CLIENT_NATS_PASSWORD in its start banner (see docs/client.md).
 *
 * Prints one JSON line: what it created, read back, and the typed error of a missing project.
 */
import { randomUUID } from 'node:crypto';
import { AtriumError, connectAtrium } from '@atrium/client';

const atrium = await connectAtrium({
  servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  pass: process.env.ATRIUM_CLIENT_NATS_PASSWORD,
  credential: process.env.ATRIUM_API_KEY ?? '',
});
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
