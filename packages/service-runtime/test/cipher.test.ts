import { describe, expect, it } from 'vitest';
import { createSecretCipher, generateKey, parseKey } from '../src/secrets/cipher.js';

const key = () => parseKey(generateKey(), 'KEY');

describe('the secret cipher (ENCRYPTION_KEY)', () => {
  it('seals so that only the same context opens, and never leaves the clear text in the output', () => {
    const cipher = createSecretCipher(key());
    const sealed = cipher.seal('hunter2-hunter2', 'env/API_TOKEN');
    expect(sealed.ciphertext.includes(Buffer.from('hunter2'))).toBe(false);
    expect(cipher.open(sealed, 'env/API_TOKEN')).toBe('hunter2-hunter2');
    expect(() => cipher.open(sealed, 'other-env/API_TOKEN')).toThrow();
    // Two seals of one value differ (fresh nonce each time).
    expect(cipher.seal('x', 'c').ciphertext.equals(cipher.seal('x', 'c').ciphertext)).toBe(false);
  });

  it('refuses a tampered value', () => {
    const cipher = createSecretCipher(key());
    const sealed = cipher.seal('value', 'c');
    sealed.ciphertext[sealed.ciphertext.length - 1]! ^= 1;
    expect(() => cipher.open(sealed, 'c')).toThrow();
  });

  it('rotates: a previous key still opens what it sealed, new values use the current key', () => {
    const [oldKey, newKey] = [key(), key()];
    const before = createSecretCipher(oldKey).seal('old secret', 'c');
    const after = createSecretCipher(newKey, [oldKey]);
    expect(after.open(before, 'c')).toBe('old secret');
    expect(after.seal('new', 'c').keyId).toBe(after.currentKeyId);
    expect(after.currentKeyId).not.toBe(before.keyId);
    expect(() => createSecretCipher(newKey).open(before, 'c')).toThrow(/ENCRYPTION_KEYS/);
  });

  it('accepts only 32-byte keys', () => {
    expect(() => parseKey(Buffer.alloc(16).toString('base64'), 'ENCRYPTION_KEY')).toThrow(/ENCRYPTION_KEY must be 32/);
  });
});
