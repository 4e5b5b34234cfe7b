import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { ServiceContext } from '../context.js';
import { DomainError } from '../errors.js';
import { IdempotencyRecord } from './idempotency.entity.js';

/** How long a key is remembered (DESIGN: 24 h). */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Expired rows are deleted now and then, by whichever call comes along. */
const PRUNE_EVERY_MS = 10 * 60 * 1000;
let lastPrunedAt = 0;

interface Secrets {
  scope: string;
  encryptionKey: Buffer;
  fingerprintKey: Buffer;
}

function secretsOf(callerId: string, operation: string, key: string): Secrets {
  const scope = createHash('sha256').update(`${callerId}\n${operation}\n${key}`).digest('hex');
  const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', key, scope, `atrium idempotency ${purpose}`, 32));
  return { scope, encryptionKey: derive('response'), fingerprintKey: derive('request') };
}

function encrypt(value: unknown, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const sealed = Buffer.concat([cipher.update(JSON.stringify(value ?? null), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64');
}

function decrypt(stored: string, key: Buffer): unknown {
  const bytes = Buffer.from(stored, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
  decipher.setAuthTag(bytes.subarray(12, 28));
  const plain = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  return JSON.parse(plain);
}

/** PostgreSQL's "lock_not_available": `lock_timeout` ran out. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Takes the scope's transaction-scoped advisory lock. A client's repeat while the first call
 * still runs is refused at once (409). A copy the transport sent again (`meta.attempt`, the
 * same request) waits instead, until its deadline: the first copy is either still running on a
 * slow instance — it commits and this one replays its answer — or was lost with its instance,
 * whose connection closing releases the lock.
 */
async function lockScope(ctx: ServiceContext, scope: string): Promise<boolean> {
  const { em } = ctx;
  const { attempt, deadline } = ctx.meta;
  if (attempt === undefined || deadline === undefined) {
    const [lock] = await em.execute<{ taken: boolean }[]>('select pg_try_advisory_xact_lock(hashtextextended(?, 0)) as taken', [scope]);
    return lock?.taken === true;
  }
  const waitMs = Math.ceil(deadline - Date.now());
  if (waitMs <= 0) return false;
  await em.execute(`set local lock_timeout = ${waitMs}`);
  try {
    await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [scope]);
  } catch (error) {
    const { code, sqlState } = error as { code?: string; sqlState?: string };
    if (code === LOCK_NOT_AVAILABLE || sqlState === LOCK_NOT_AVAILABLE) return false;
    throw error;
  }
  await em.execute('set local lock_timeout to default');
  return true;
}

/**
 * Runs a creating call at most once per (caller, operation, Idempotency-Key), inside the
 * call's transaction (`runInTransaction`):
 *
 * - a transaction-scoped advisory lock on the scope marks the call as running; a repeat that
 *   cannot take it while the first still runs is a 409 (a transport's retry waits, `lockScope`),
 *   unless the first has committed its answer (the lock's holder is then a late copy replaying
 *   it): that answer is replayed;
 * - a repeat within 24 h with the same request gets the first answer back (the service's
 *   output, so the gateway answers the same status and body); with a different request, 422;
 * - the answer is stored in the same transaction as the handler's changes, so either both
 *   commit or neither: a caller that saw a 503 can always retry with the same key.
 *
 * Only answers are remembered: a refused call changed nothing, so its repeat simply runs again.
 */
export async function runIdempotently<T>(
  ctx: ServiceContext,
  operation: string,
  input: unknown,
  key: string,
  work: () => Promise<T>,
): Promise<T> {
  const { em } = ctx;
  const secrets = secretsOf(ctx.meta.caller?.userId ?? 'anonymous', operation, key);
  const fingerprint = createHmac('sha256', secrets.fingerprintKey)
    .update(JSON.stringify(input ?? null))
    .digest('hex');
  const since = new Date(Date.now() - IDEMPOTENCY_WINDOW_MS);
  const replayEarlier = async (): Promise<{ output: T } | undefined> => {
    const earlier = await em.findOne(IdempotencyRecord, { scope: secrets.scope, createdAt: { $gt: since } });
    if (!earlier) return undefined;
    if (earlier.requestHash !== fingerprint) {
      throw new DomainError('UNPROCESSABLE_CONTENT', 'This Idempotency-Key was already used with a different request', [
        { path: 'Idempotency-Key', message: 'was used with a different request' },
      ]);
    }
    return { output: decrypt(earlier.response, secrets.encryptionKey) as T };
  };
  if (!(await lockScope(ctx, secrets.scope))) {
    // Held, but perhaps by a transport's late copy of a call that has already committed (it
    // takes the lock to replay): a committed answer never changes, so it is replayed here too.
    const replay = await replayEarlier();
    if (replay) return replay.output;
    throw new DomainError('CONFLICT', 'A request with this Idempotency-Key is still being processed; retry later');
  }
  const replay = await replayEarlier();
  if (replay) return replay.output;
  const output = await work();
  // An expired record of the same scope makes way for this one.
  await em.nativeDelete(IdempotencyRecord, { scope: secrets.scope });
  await em.insert(IdempotencyRecord, {
    scope: secrets.scope,
    requestHash: fingerprint,
    response: encrypt(output, secrets.encryptionKey),
    createdAt: new Date(),
  });
  if (Date.now() - lastPrunedAt > PRUNE_EVERY_MS) {
    lastPrunedAt = Date.now();
    await em.nativeDelete(IdempotencyRecord, { createdAt: { $lt: since } });
  }
  return output;
}
