import { createHash } from 'node:crypto';

/** Prefixes say what a credential is (and make leaked keys easy to scan for). */
export const SESSION_TOKEN_PREFIX = 'ats_';
export const API_KEY_PREFIX = 'atk_';
/**
 * The longest a client's session assertion (`credentials.exchange`) lives: the window in which
 * a service must remember a revocation, since a session exchanged before it still names the
 * credential until then.
 */
export const SESSION_ASSERTION_TTL_MS = 15_000;
/** Generated credentials are far shorter; anything longer is not one of ours. */
export const MAX_CREDENTIAL_LENGTH = 512;

/** Whether a string could be an Atrium credential at all, before anyone is asked. */
export function looksLikeCredential(value: string): boolean {
  return value.length <= MAX_CREDENTIAL_LENGTH && (value.startsWith(SESSION_TOKEN_PREFIX) || value.startsWith(API_KEY_PREFIX));
}

/**
 * SHA-256 (hex) of a credential: what identity stores instead of the credential, what the
 * gateway keys its cache by, and what revocation broadcasts name. Credentials are 32 random
 * bytes, so a fast hash is enough (no salt or KDF) and lookups stay unique-index hits.
 */
export function credentialDigest(credential: string): string {
  return createHash('sha256').update(credential).digest('hex');
}
