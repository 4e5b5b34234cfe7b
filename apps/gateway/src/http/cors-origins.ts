import { z } from 'zod';

// Apart from cors.ts (which loads @fastify/cors), so the gateway's settings can be checked before
// the rest of it loads (see env.ts).

/**
 * `CORS_ORIGINS`: a comma-separated list of origins (`https://app.example.com`) allowed to call
 * the API from a browser, or `*` for any. Empty (the default) allows none: the docs page calls
 * the API from its own origin and needs no CORS.
 */
export const corsOriginsSchema = z
  .string()
  .default('')
  .transform((value, context) => {
    const origins = value
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean);
    for (const origin of origins) {
      if (origin === '*') continue;
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        parsed = undefined;
      }
      // An origin is scheme://host[:port] and nothing else; browsers send it without a trailing slash.
      if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
        context.addIssue({ code: 'custom', message: `"${origin}" is not an origin like https://app.example.com` });
      }
    }
    return origins;
  });
