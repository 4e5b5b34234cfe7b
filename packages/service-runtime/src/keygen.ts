import { APP_NAMES } from '@atrium/contract';
import type { AppName } from '@atrium/contract';
import { exportPrivateKey, formatTrustedKey, generateSigningKey } from '@atrium/nats-trpc';

/**
 * `pnpm keygen <app> [key id]`: a new Ed25519 signing key for one app. Prints the two
 * variables that app needs and the entry every app it calls adds to ATRIUM_TRUSTED_KEYS.
 */
const [app, kid] = process.argv.slice(2);
if (!app || !(APP_NAMES as readonly string[]).includes(app)) {
  console.error(`usage: pnpm keygen <${APP_NAMES.join('|')}> [key id]`);
  process.exit(2);
}
const key = generateSigningKey(app as AppName, kid ?? `${app}-${new Date().toISOString().slice(0, 10)}`);
console.log(`# secret: only the ${app} app gets these two`);
console.log(`ATRIUM_SIGNING_KEY=${exportPrivateKey(key.signing.privateKey)}`);
console.log(`ATRIUM_SIGNING_KEY_ID=${key.signing.kid}`);
console.log('# public: add to ATRIUM_TRUSTED_KEYS (comma-separated) of every service this app calls');
console.log(formatTrustedKey(key.trusted));
