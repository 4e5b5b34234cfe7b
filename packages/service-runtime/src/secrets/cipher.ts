import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/**
 * Secrets sealed at rest with ENCRYPTION_KEY: environments' secret variables, identity's queued
 * invite mails. Each use binds what it seals to its row with its own `context` (authenticated,
 * not stored), so a value cannot be moved to another row or read as another kind of secret.
 */

/** A secret value as stored: the id of the key that sealed it, and nonce ‖ tag ‖ ciphertext. */
export interface Sealed {
  keyId: string;
  ciphertext: Uint8Array;
}

export interface SecretCipher {
  /** The id of the key new values are sealed with. */
  readonly currentKeyId: string;
  /** `context` (the variable's environment and key) is authenticated too: a value moved to another row does not open. */
  seal(plaintext: string, context: string): { keyId: string; ciphertext: Buffer };
  open(sealed: Sealed, context: string): string;
}

/**
 * A key's id: a fingerprint that names it without revealing it (stored beside every value it
 * seals). The label predates the cipher's move out of environments and stays: stored ids depend on it.
 */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('atrium-variables-key:').update(key).digest('hex').slice(0, 16);
}

/** Reads a base64 (or base64url) key of exactly 32 bytes; the message never includes the value. */
export function parseKey(encoded: string, name: string): Buffer {
  const key = Buffer.from(encoded.trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new Error(`${name} must be ${KEY_BYTES} random bytes, base64-encoded (openssl rand -base64 32)`);
  return key;
}

export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/**
 * AES-256-GCM (node:crypto) with a fresh 96-bit nonce per value. `current` seals; every key
 * in `previous` still opens what it sealed, which is how keys rotate: the new key becomes
 * current, the old one moves to the previous keys until no value needs it.
 */
export function createSecretCipher(current: Buffer, previous: Buffer[] = []): SecretCipher {
  const keys = new Map<string, Buffer>();
  for (const key of [current, ...previous]) keys.set(keyIdOf(key), key);
  const currentKeyId = keyIdOf(current);
  return {
    currentKeyId,
    seal(plaintext, context) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv(ALGORITHM, current, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return { keyId: currentKeyId, ciphertext: Buffer.concat([nonce, cipher.getAuthTag(), body]) };
    },
    open({ keyId, ciphertext }, context) {
      const sealed = { keyId, ciphertext: Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength) };
      const key = keys.get(sealed.keyId);
      if (!key) throw new Error(`No configured encryption key has id ${sealed.keyId} (is it missing from ENCRYPTION_KEYS?)`);
      const nonce = sealed.ciphertext.subarray(0, NONCE_BYTES);
      const tag = sealed.ciphertext.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES);
      const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(sealed.ciphertext.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    },
  };
}
