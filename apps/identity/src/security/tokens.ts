import { randomBytes } from 'node:crypto';

export { API_KEY_PREFIX, SESSION_TOKEN_PREFIX, credentialDigest as credentialHash } from '@atrium/contract';

/** A new credential: the prefix and 32 random bytes, URL-safe. */
export function newCredential(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}
