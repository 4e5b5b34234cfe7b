import { APP_NAMES, CLIENT_APP, SESSION_ISSUING_APPS, USER_ASSERTING_APPS } from '@atrium/contract';
import type { AppName } from '@atrium/contract';
import {
  createCallSigner,
  createCallVerifier,
  exportPrivateKey,
  formatTrustedKey,
  generateSigningKey,
  parsePrivateKey,
  parseTrustedKeys,
} from '@atrium/nats-trpc';
import type { CallSigner, CallVerifier, SigningKey, TrustedKey } from '@atrium/nats-trpc';
import { StartupError } from './startup.js';

export { signingKeyEnvShape, trustedKeysEnvShape } from './keys-env.js';

const VERIFIER_OPTIONS = { userAsserters: USER_ASSERTING_APPS, sessions: { issuers: SESSION_ISSUING_APPS, app: CLIENT_APP } };

/** How an app signs the calls it makes and checks the calls it takes (see nats-trpc's assertion.ts). */
export interface AppKeys {
  signer: CallSigner;
  verifier: CallVerifier;
  /**
   * The private key itself, when it was made in this process (`generateAppKeys`): a test hands
   * it to an app outside the system (the deployer) as that app's configuration would.
   */
  signingKey?: SigningKey;
}

/** The keys of one app, as configured. A bad key stops the process at start-up with a message naming the variable. */
export function loadAppKeys(
  app: AppName,
  config: { ATRIUM_SIGNING_KEY: string; ATRIUM_SIGNING_KEY_ID: string; ATRIUM_TRUSTED_KEYS?: string },
): AppKeys {
  let privateKey: ReturnType<typeof parsePrivateKey>;
  try {
    privateKey = parsePrivateKey(config.ATRIUM_SIGNING_KEY);
  } catch (error) {
    throw new StartupError(`Invalid configuration: ATRIUM_SIGNING_KEY: ${(error as Error).message}`);
  }
  let trusted: TrustedKey[] = [];
  try {
    trusted = config.ATRIUM_TRUSTED_KEYS ? parseTrustedKeys(config.ATRIUM_TRUSTED_KEYS) : [];
  } catch (error) {
    throw new StartupError(`Invalid configuration: ATRIUM_TRUSTED_KEYS: ${(error as Error).message}`);
  }
  const unknown = trusted.find((key) => !(APP_NAMES as readonly string[]).includes(key.app));
  if (unknown) throw new StartupError(`Invalid configuration: ATRIUM_TRUSTED_KEYS: no app is called "${unknown.app}"`);
  return {
    signer: createCallSigner({ app, kid: config.ATRIUM_SIGNING_KEY_ID, privateKey }),
    verifier: createCallVerifier(trusted, VERIFIER_OPTIONS),
  };
}

/**
 * A fresh key per app, each trusting all the others: the embedded one-process mode and the
 * tests. Nothing is written anywhere: assertions live only as long as a call, so keys made at
 * start-up need no rotation and leave nothing to steal when the process ends.
 */
export function generateAppKeys(): Record<AppName, AppKeys> {
  const generated = APP_NAMES.map((app) => generateSigningKey(app));
  const verifier = createCallVerifier(
    generated.map((key) => key.trusted),
    VERIFIER_OPTIONS,
  );
  return Object.fromEntries(
    generated.map((key) => [key.signing.app, { signer: createCallSigner(key.signing), verifier, signingKey: key.signing }]),
  ) as Record<AppName, AppKeys>;
}

/**
 * Fresh keys as each app's environment variables (each app its private key, every app all the
 * public keys): how `pnpm bench` starts the apps as separate processes, and what `pnpm keygen`
 * does one app at a time for a deployment.
 */
export interface KeyEnvironment {
  ATRIUM_SIGNING_KEY: string;
  ATRIUM_SIGNING_KEY_ID: string;
  ATRIUM_TRUSTED_KEYS: string;
}

export function generateKeyEnvironment(): Record<AppName, KeyEnvironment> {
  const generated = APP_NAMES.map((app) => generateSigningKey(app));
  const trusted = generated.map((key) => formatTrustedKey(key.trusted)).join(',');
  return Object.fromEntries(
    generated.map((key) => [
      key.signing.app,
      {
        ATRIUM_SIGNING_KEY: exportPrivateKey(key.signing.privateKey),
        ATRIUM_SIGNING_KEY_ID: key.signing.kid,
        ATRIUM_TRUSTED_KEYS: trusted,
      },
    ]),
  ) as Record<AppName, KeyEnvironment>;
}
