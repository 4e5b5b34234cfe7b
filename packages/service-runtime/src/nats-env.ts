import { z } from 'zod';

// Apart from nats.ts (which loads the NATS client), so a configuration can be checked before the
// rest of the process loads (see settings.ts).

/** How an app proves its NATS identity (one of them) and checks the broker's certificate. */
export const natsAuthEnvShape = {
  NATS_USER: z.string().min(1).optional().meta({ description: "This app's NATS user (with NATS_PASSWORD)" }),
  NATS_PASSWORD: z.string().min(1).optional(),
  NATS_CREDS_FILE: z.string().min(1).optional().meta({ description: 'A NATS credentials file (JWT and nkey seed)' }),
  NATS_NKEY_SEED: z.string().min(1).optional().meta({ description: 'An nkey seed (SU…)' }),
  NATS_TLS_CA_FILE: z.string().min(1).optional().meta({ description: "CA of the broker's certificate (turns TLS on)" }),
  NATS_TLS_CERT_FILE: z.string().min(1).optional().meta({ description: 'Client certificate, for brokers that verify clients' }),
  NATS_TLS_KEY_FILE: z.string().min(1).optional(),
};
