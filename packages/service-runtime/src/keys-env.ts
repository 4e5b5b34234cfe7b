import { z } from 'zod';

// The settings of the keys, apart from keys.ts (which loads the signing code of nats-trpc), so
// a configuration can be checked before the rest of the process loads (see settings.ts).

/** Every app signs its calls with its own Ed25519 key. */
export const signingKeyEnvShape = {
  ATRIUM_SIGNING_KEY: z
    .string()
    .min(1)
    .meta({ description: "This app's Ed25519 private key (base64 PKCS#8 DER, or PEM); `pnpm keygen` makes one" }),
  ATRIUM_SIGNING_KEY_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .meta({ description: 'The id verifiers know that key by; a new id for every new key' }),
};

/** Every app that takes calls verifies them against the public keys it trusts. */
export const trustedKeysEnvShape = {
  ATRIUM_TRUSTED_KEYS: z
    .string()
    .min(1)
    .meta({ description: 'Public keys of the apps allowed to call this one: `<app>:<kid>:<base64 key>`, comma-separated' }),
};
