import { unauthorized } from '@atrium/service-runtime';
import { ApiKey, Session } from '../entities/index.js';
import type { Handler } from '../deps.js';
import { toUserDto } from '../dto.js';
import { API_KEY_PREFIX, SESSION_TOKEN_PREFIX, credentialHash } from '../security/tokens.js';

/** `last_used_at` is advisory: writing it at most once a minute keeps authentication read-mostly. */
const LAST_USED_RESOLUTION_MS = 60_000;

function touch(credential: { lastUsedAt?: Date | null }, now: Date): void {
  if (!credential.lastUsedAt || now.getTime() - credential.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    credential.lastUsedAt = now;
  }
}

/** Internal: resolves a bearer token or API key to its user, in one indexed query. */
export const authenticate =
  (): Handler<'credentials', 'authenticate'> =>
  async (input, { em }) => {
    const now = new Date();
    const hash = credentialHash(input.credential);
    const invalid = () => unauthorized('Invalid or expired credential');
    if (input.credential.startsWith(SESSION_TOKEN_PREFIX)) {
      const session = await em.findOne(Session, { tokenHash: hash, expiresAt: { $gt: now } }, { populate: ['user'] });
      if (!session) throw invalid();
      touch(session, now);
      await em.flush();
      return {
        user: toUserDto(session.user),
        credential_id: session.id,
        credential_kind: 'session' as const,
        expires_at: session.expiresAt.toISOString(),
        project_ids: null,
        access: 'write' as const,
      };
    }
    if (input.credential.startsWith(API_KEY_PREFIX)) {
      const key = await em.findOne(
        ApiKey,
        { keyHash: hash, $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] },
        { populate: ['user'] },
      );
      if (!key) throw invalid();
      touch(key, now);
      await em.flush();
      return {
        user: toUserDto(key.user),
        credential_id: key.id,
        credential_kind: 'api_key' as const,
        expires_at: key.expiresAt?.toISOString() ?? null,
        // A scoped key's limits, carried with its caller in every call (see service-runtime's scope.ts).
        project_ids: key.projectIds ?? null,
        access: key.access,
      };
    }
    throw invalid();
  };
