import { createHash, randomBytes } from 'node:crypto';

/** Prefixes say what a credential is (and make leaked keys easy to scan for). */
export const SESSION_TOKEN_PREFIX = 'ats_';
export const API_KEY_PREFIX = 'atk_';

/** 32 random bytes, URL-safe. */
export function newCredential(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/**
 * Credentials are high-entropy random strings, so a fast hash is enough (no salt or KDF
 * needed) and lets the lookup be a unique-index hit. The gateway keys its cache the same way.
 */
export function credentialHash(credential: string): string {
  return createHash('sha256').update(credential).digest('hex');
}
