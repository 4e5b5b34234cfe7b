import type { SecretCipher } from '@atrium/service-runtime';

/** What a webhook's secret is bound to when sealed: a sealed value moved to another row (or slot) does not open. */
export const secretContext = (webhookId: string, slot: 'current' | 'previous') => `webhook-secret:${slot}:${webhookId}`;

export interface SealedSecrets {
  secret_ciphertext: Buffer | Uint8Array;
  secret_key_id: string;
  previous_secret_ciphertext: Buffer | Uint8Array | null;
  previous_secret_key_id: string | null;
  previous_secret_expires_at: Date | string | null;
}

/** The secrets that sign a delivery now: the current one, and the previous one until 24 h after a rotation. */
export function signingSecrets(cipher: SecretCipher, webhookId: string, row: SealedSecrets, now = Date.now()): string[] {
  const secrets = [cipher.open({ keyId: row.secret_key_id, ciphertext: row.secret_ciphertext }, secretContext(webhookId, 'current'))];
  if (
    row.previous_secret_ciphertext &&
    row.previous_secret_key_id &&
    row.previous_secret_expires_at &&
    new Date(row.previous_secret_expires_at).getTime() > now
  )
    secrets.push(
      cipher.open({ keyId: row.previous_secret_key_id, ciphertext: row.previous_secret_ciphertext }, secretContext(webhookId, 'previous')),
    );
  return secrets;
}

/** How long a rotated-out secret keeps signing beside the new one. */
export const PREVIOUS_SECRET_MS = 24 * 60 * 60 * 1000;
