import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { APP_NAMES } from '@atrium/contract';
import type { AppName } from '@atrium/contract';
import { exportPrivateKey, formatTrustedKey, generateSigningKey } from '@atrium/nats-trpc';
import { generateKeyEnvironment } from '@atrium/service-runtime';
import { generateNatsPassword } from './nats-password.js';

/**
 * `pnpm keygen <app> [key id]`: a new Ed25519 signing key for one app (a first key, or the
 * next one when rotating). Prints the two secret variables that app gets and the public entry
 * to add to ATRIUM_TRUSTED_KEYS of every app.
 *
 * `pnpm keygen --out <dir>`: a key for every app, written as `<dir>/<app>.env` (compose's
 * env_file), each with its own private key, every app's public key and its NATS user and
 * password; and `<dir>/nats.env`, the passwords for nats-server (infra/k8s/nats-authorization.conf).
 */
const [first, second] = process.argv.slice(2);
if (first === '--out' && second) {
  // Relative to where `pnpm keygen` was typed, not to this package.
  const dir = resolve(process.env.INIT_CWD ?? process.cwd(), second);
  mkdirSync(dir, { recursive: true });
  const write = (file: string, env: Record<string, string>) => {
    const lines = Object.entries(env).map(([name, value]) => `${name}=${value}`);
    writeFileSync(join(dir, file), `${lines.join('\n')}\n`, { mode: 0o600 });
  };
  const natsPasswords: Record<string, string> = {};
  for (const [app, env] of Object.entries(generateKeyEnvironment())) {
    const password = generateNatsPassword();
    natsPasswords[`ATRIUM_${app.toUpperCase()}_NATS_PASSWORD`] = password;
    write(`${app}.env`, { ...env, NATS_USER: app, NATS_PASSWORD: password });
  }
  // For TypeScript services using @atrium/client: the NATS user they connect as.
  const clientPassword = generateNatsPassword();
  natsPasswords.ATRIUM_CLIENT_NATS_PASSWORD = clientPassword;
  write('client.env', { NATS_USER: 'client', NATS_PASSWORD: clientPassword });
  write('nats.env', natsPasswords);
  console.log(`wrote ${[...APP_NAMES, 'client', 'nats'].map((name) => `${name}.env`).join(', ')} to ${dir}`);
} else if (first && (APP_NAMES as readonly string[]).includes(first)) {
  const key = generateSigningKey(first as AppName, second ?? `${first}-${new Date().toISOString().slice(0, 10)}`);
  console.log(`# secret: only the ${first} app gets these two`);
  console.log(`ATRIUM_SIGNING_KEY=${exportPrivateKey(key.signing.privateKey)}`);
  console.log(`ATRIUM_SIGNING_KEY_ID=${key.signing.kid}`);
  console.log('# public: add to ATRIUM_TRUSTED_KEYS (comma-separated) of every app');
  console.log(formatTrustedKey(key.trusted));
} else {
  console.error(`usage: pnpm keygen <${APP_NAMES.join('|')}> [key id]   |   pnpm keygen --out <dir>`);
  process.exit(2);
}
