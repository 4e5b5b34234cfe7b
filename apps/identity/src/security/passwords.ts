import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * scrypt (memory-hard, in Node's own crypto: no native add-on to build) at an OWASP
 * equivalent of N=2^17,r=8,p=1 that keeps memory at 32 MiB: N=2^15, r=8, p=3.
 * Parameters are stored with each hash, so they can be raised later without a migration.
 */
export const STANDARD_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 3 };
/**
 * For test systems only, passed in code (never read from the environment, so no deployment can
 * pick it): tests exercise the same code path at a thousandth of the cost.
 */
export const TEST_ONLY_SCRYPT: ScryptParams = { N: 2 ** 10, r: 8, p: 1 };
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export async function hashPassword(password: string, params: ScryptParams = STANDARD_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, expected] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !expected) return false;
  const key = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  const expectedKey = Buffer.from(expected, 'base64url');
  return key.length === expectedKey.length && timingSafeEqual(key, expectedKey);
}

/** What the handlers use: hashing at the service's parameters, and the decoy for unknown e-mails. */
export interface Passwords {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
  /** A real hash to verify against when the e-mail is unknown, so timing does not reveal accounts. */
  decoy(): Promise<string>;
}

export function createPasswords(params: ScryptParams = STANDARD_SCRYPT): Passwords {
  let decoy: Promise<string> | undefined;
  return {
    hash: (password) => hashPassword(password, params),
    verify: verifyPassword,
    decoy() {
      decoy ??= hashPassword(randomBytes(16).toString('hex'), params);
      return decoy;
    },
  };
}
